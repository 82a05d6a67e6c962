package io.caspian.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A pool disk that dies under a published volume, end to end. The Linux kernel's NVMe/TCP target ({@code
 * ../shared/peers/nvmf-vm.sh target}, nvmet in a VM, backed by a host file) is node-3's pool disk; nodes 1 and 2
 * have file pools. A thick 3-replica volume therefore has a replica on the remote disk, and fio writes it through
 * NBD. Then a spare pool appears on node-4 and the target is stopped: the pool turns Faulted with its reason within
 * {@link #FAULT_BOUND}, its replica's child is faulted and replaced on the spare, the volume is Online again with
 * three in-sync children and every block verifies; a new volume is not placed on the dead pool. A target started
 * again on the same port brings the pool back Online by itself.
 */
class DeadDiskIT {
    /** From the target's end to the pool Faulted in the REST view: the initiator's fault_after_ms plus margin. */
    static final Duration FAULT_BOUND = Duration.ofSeconds(25);
    private static final Duration SETTLE = Duration.ofSeconds(120);
    private static final long VOLUME_BYTES = 32L << 20;

    private final List<RoleProcess> processes = new ArrayList<>();
    private final List<Process> targets = new ArrayList<>();
    private Path work;
    private long t0;

    @AfterEach
    void stopAll() throws Exception {
        for (RoleProcess p : processes) {
            p.close();
        }
        for (Process t : targets) {
            stop(t);
        }
    }

    @Test
    void aDeadPoolDiskIsFaultedReplacedAndComesBack() throws Exception {
        Path peers = Path.of("").toAbsolutePath().getParent().resolve("../shared/peers").normalize();
        assumeTrue(Files.isExecutable(peers.resolve("nvmf-vm.sh")), "no peer scripts at " + peers);
        t0 = System.nanoTime();
        work = Files.createDirectories(Path.of(System.getProperty("caspian.it.work", "target/it-work"))
                .resolve("dead-disk-" + System.currentTimeMillis()));
        int ktPort = Ports.free();
        String nqn = "nqn.2024-01.io.caspian.it:deaddisk" + ktPort;
        Path backing = work.resolve("kt-backing.img");
        targets.add(startTarget(peers, ktPort, nqn, backing, "first"));
        step("kernel target READY on 127.0.0.1:" + ktPort);

        Fio fio = new Fio(work.resolve("fio.log"));
        int controlPort = Ports.free();
        int restPort = Ports.free();
        processes.add(RoleProcess.start("control", work, List.of("control", "--data-dir",
                work.resolve("control").toString(), "--port", String.valueOf(controlPort), "--rest",
                "127.0.0.1:" + restPort, "--seed", "127.0.0.1:" + controlPort, "--kafka", "off",
                "--faulted-child-wait", "0s")));
        for (int i = 1; i <= 4; i++) {
            processes.add(RoleProcess.start("node-" + i, work, List.of("io-engine", "--node-id", "node-" + i,
                    "--data-dir", work.resolve("node-" + i).toString(), "--port", String.valueOf(Ports.free()),
                    "--seed", "127.0.0.1:" + controlPort, "--nbd-port", String.valueOf(Ports.free()),
                    "--nvmf-port", String.valueOf(Ports.free()), "--kafka", "off")));
        }
        Api api = new Api(restPort, work.resolve("control"));
        await("4 io-engines online", () -> {
            long n = 0;
            for (JsonNode node : api.get("/v0/nodes")) {
                n += "Online".equals(node.path("status").asText()) ? 1 : 0;
            }
            return n == 4;
        });
        for (int i = 1; i <= 2; i++) {
            api.put("/v0/nodes/node-" + i + "/pools/pool-" + i, "{\"disks\":[\"file://"
                    + work.resolve("node-" + i).resolve("pool.img").toAbsolutePath() + "?size_mb=96\"]}");
        }
        api.put("/v0/nodes/node-3/pools/remote", "{\"disks\":[\"nvmf://127.0.0.1:" + ktPort + "/" + nqn + "\"]}");
        String volume = UUID.randomUUID().toString();
        api.put("/v0/volumes/" + volume, "{\"size\":" + VOLUME_BYTES + ",\"replicas\":3,\"thin\":false}");
        String device = api.put("/v0/volumes/" + volume + "/target?protocol=nbd&node=node-1", null).path("target")
                .path("device_uri").asText();
        await("volume online", () -> "Online".equals(api.get("/v0/volumes/" + volume).path("status").asText()));
        String onRemote = replicaOn(api, volume, "remote");
        fio.writeAndVerify(device, 0, 8);
        api.put("/v0/nodes/node-4/pools/spare", "{\"disks\":[\"file://"
                + work.resolve("node-4").resolve("pool.img").toAbsolutePath() + "?size_mb=96\"]}");
        step("volume " + volume + " Online, replica " + onRemote + " on the kernel target's disk; 8 MiB verified; "
                + "spare pool on node-4");

        Fio.Running w = fio.startWriteAndVerify(device, 8, 8, 1);
        stop(targets.remove(0));
        long dead = System.nanoTime();
        step("kernel target stopped");
        awaitWithin("pool remote Faulted", FAULT_BOUND, () -> "Faulted".equals(api.get("/v0/pools/remote")
                .path("status").asText()));
        JsonNode faultedPool = api.get("/v0/pools/remote");
        step(String.format("pool remote Faulted %.1f s after the target stopped: %s",
                (System.nanoTime() - dead) / 1e9, faultedPool.path("reason").asText()));
        assertFalse(faultedPool.path("reason").asText().isBlank(), "a Faulted pool says why: " + faultedPool);

        await("replica on the dead disk replaced, volume Online with 3 in-sync children", () -> {
            JsonNode v = api.get("/v0/volumes/" + volume);
            Set<String> replicas = new HashSet<>();
            v.path("replicas").forEach(r -> replicas.add(r.asText()));
            JsonNode n = api.get("/v0/nexuses/" + volume);
            long online = 0;
            for (JsonNode c : n.path("children")) {
                online += "Online".equals(c.path("state").asText()) ? 1 : 0;
            }
            return "Online".equals(v.path("status").asText()) && !replicas.contains(onRemote)
                    && replicas.size() == 3 && online == 3;
        });
        String replacement = replicaOn(api, volume, "spare");
        w.await();
        fio.verify(device, 0, 16);
        step(String.format("replacement %s on the spare pool rebuilt, volume Online %.1f s after the target "
                + "stopped; 16 MiB verify", replacement, (System.nanoTime() - dead) / 1e9));

        String other = UUID.randomUUID().toString();
        api.put("/v0/volumes/" + other, "{\"size\":" + (4L << 20) + ",\"replicas\":3,\"thin\":true}");
        for (JsonNode r : api.get("/v0/volumes/" + other).path("replicas")) {
            assertTrue(!"remote".equals(api.get("/v0/replicas/" + r.asText()).path("pool").asText()),
                    "no new replica on the Faulted pool");
        }

        targets.add(startTarget(peers, ktPort, nqn, backing, "again"));
        long back = System.nanoTime();
        await("pool remote Online again", () -> "Online".equals(api.get("/v0/pools/remote").path("status")
                .asText()));
        step(String.format("target back: pool remote Online %.1f s after READY", (System.nanoTime() - back) / 1e9));
        assertEquals(3, api.get("/v0/volumes/" + volume).path("replicas").size());
    }

    /** The volume's replica on {@code pool}. */
    private static String replicaOn(Api api, String volume, String pool) throws IOException {
        for (JsonNode r : api.get("/v0/volumes/" + volume).path("replicas")) {
            if (pool.equals(api.get("/v0/replicas/" + r.asText()).path("pool").asText())) {
                return r.asText();
            }
        }
        throw new AssertionError("volume " + volume + " has no replica on pool " + pool);
    }

    private Process startTarget(Path peers, int port, String nqn, Path backing, String which) throws Exception {
        Path ready = work.resolve("kt-" + which + ".ready");
        ProcessBuilder pb = new ProcessBuilder(peers.resolve("nvmf-vm.sh").toString(), "target",
                String.valueOf(port), nqn, "64", "900").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("kt-" + which + ".log").toFile()))
                .directory(work.toFile());
        pb.environment().put("BP_READY_FILE", ready.toString());
        pb.environment().put("BP_BACKING", backing.toString());
        Process p = pb.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
        while (!(Files.exists(ready) && Files.size(ready) > 0)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                stop(p);
                throw new AssertionError("nvmf-vm.sh target (" + which + ") not READY; see " + work);
            }
            Thread.sleep(250);
        }
        return p;
    }

    /** SIGTERM: the script stops its VM cleanly. */
    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private void step(String what) {
        System.out.printf("[DeadDiskIT %5.1f s] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    private void await(String what, Waits.Check check) throws Exception {
        Waits.await(what, SETTLE, work, check);
    }

    private void awaitWithin(String what, Duration bound, Waits.Check check) throws Exception {
        Waits.await(what, bound, work, check);
    }
}
