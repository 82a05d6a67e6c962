package io.caspian.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * One control-plane JVM and three io-engine JVMs on 127.0.0.1, pools on files, a thick 3-replica volume published
 * over NBD and written by fio. The control JVM is SIGKILLed while fio writes, and restarted: the REST view of nodes,
 * pools, replicas, nexuses and volumes must come back identical, and I/O must go on while it is down. Then the
 * io-engine holding the nexus is SIGKILLed and restarted: its pool re-imports from the file and every block written
 * before still verifies. On H2 the node returns within the node timeout and the nexus comes back on it; on
 * PostgreSQL the node stays away past the node timeout, the target fails over to another node (fio writes through
 * it), and when the node returns its stale replica — the only place a replacement fits with three nodes — is
 * rebuilt in full, so the volume is Online with the same three replicas.
 */
class ClusterIT {
    private static final int ENGINES = 3;
    private static final int POOL_MB = 256;
    private static final long VOLUME_BYTES = 64L << 20;
    private static final Duration SETTLE = Duration.ofSeconds(60);

    private final List<RoleProcess> processes = new ArrayList<>();
    private EmbeddedPostgres postgres;
    private Path work;
    private Fio fio;
    private long t0;

    @AfterEach
    void stopAll() throws Exception {
        for (RoleProcess p : processes) {
            p.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void h2Journal(TestInfo info) throws Exception {
        scenario(info, List.of("--node-timeout", "60s", "--failover-timeout", "60s"), false);
    }

    @Test
    void postgresJournal(TestInfo info) throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        scenario(info, List.of("--journal", "postgres", "--jdbc-url", postgres.getJdbcUrl("postgres", "postgres"),
                "--jdbc-user", "postgres", "--node-timeout", "3s"), true);
    }

    private void scenario(TestInfo info, List<String> controlFlags, boolean targetMoves) throws Exception {
        t0 = System.nanoTime();
        work = Files.createDirectories(Path.of(System.getProperty("caspian.it.work", "target/it-work"))
                .resolve(info.getTestMethod().orElseThrow().getName() + "-" + System.currentTimeMillis()));
        fio = new Fio(work.resolve("fio.log"));
        int controlPort = Ports.free();
        int restPort = Ports.free();
        int[] enginePorts = new int[ENGINES];
        List<String> controlArgs = new ArrayList<>(List.of("control", "--data-dir", work.resolve("control").toString(),
                "--port", String.valueOf(controlPort), "--rest", "127.0.0.1:" + restPort,
                "--seed", "127.0.0.1:" + controlPort));
        for (int i = 0; i < ENGINES; i++) {
            enginePorts[i] = Ports.free();
            // A restarted control plane finds the running cluster through the io-engines.
            controlArgs.addAll(List.of("--seed", "127.0.0.1:" + enginePorts[i]));
        }
        controlArgs.addAll(controlFlags);
        RoleProcess control = RoleProcess.start("control", work, controlArgs);
        processes.add(control);
        List<RoleProcess> engines = new ArrayList<>();
        for (int i = 1; i <= ENGINES; i++) {
            RoleProcess e = RoleProcess.start("node-" + i, work, List.of("io-engine", "--node-id", "node-" + i,
                    "--data-dir", work.resolve("node-" + i).toString(), "--port", String.valueOf(enginePorts[i - 1]),
                    "--seed", "127.0.0.1:" + controlPort, "--nbd-port", String.valueOf(Ports.free()),
                    "--nvmf-port", String.valueOf(Ports.free()), "--disk", poolDisk(i)));
            engines.add(e);
            processes.add(e);
        }
        Api api = new Api(restPort, work.resolve("control"));
        await("3 io-engines online", () -> countOnline(api.get("/v0/nodes")) == ENGINES);
        step("cluster up");

        for (int i = 1; i <= ENGINES; i++) {
            api.put("/v0/nodes/node-" + i + "/pools/pool-" + i, "{\"disks\":[\"" + poolDisk(i) + "\"]}");
        }
        String volume = UUID.randomUUID().toString();
        api.put("/v0/volumes/" + volume, "{\"size\":" + VOLUME_BYTES + ",\"replicas\":3,\"thin\":false}");
        JsonNode published = api.put("/v0/volumes/" + volume + "/target?protocol=nbd", null);
        String device = published.path("target").path("device_uri").asText();
        assertTrue(device.startsWith("nbd://127.0.0.1:"), "NBD device URI, got " + published);
        await("volume online", () -> "Online".equals(api.get("/v0/volumes/" + volume).path("status").asText()));
        fio.writeAndVerify(device, 0, 16);
        step("volume published on " + device + ", 16 MiB written and verified");

        JsonNode before = settledView(api);
        // One stream (4 MiB/s, about 4 s) is in flight at the moment of the kill; another starts after it.
        Fio.Running inFlight = fio.startWriteAndVerify(device, 48, 16, 4);
        Thread.sleep(1000);
        control.kill();
        assertTrue(inFlight.alive(), "fio still writing when the control plane died");
        assertThrows(IOException.class, () -> api.get("/v0/nodes"), "the control plane is down");
        fio.writeAndVerify(device, 16, 16);
        inFlight.await();
        assertFalse(control.alive());
        step("control plane SIGKILLed during a write stream; it and 16 MiB more written and verified meanwhile");

        control.restart();
        AtomicReference<JsonNode> after = new AtomicReference<>();
        awaitOr("REST view after the control plane restart equals the view before", () -> {
            after.set(api.view());
            return after.get().equals(before);
        }, () -> assertEquals(before.toPrettyString(), after.get() == null ? "(no answer)"
                : after.get().toPrettyString()));
        fio.verify(device, 0, 32);
        fio.verify(device, 48, 16);
        step("control plane restarted; REST view identical; 48 MiB verify");

        String nexusNode = api.get("/v0/volumes/" + volume).path("target").path("node").asText();
        int k = Integer.parseInt(nexusNode.substring("node-".length()));
        RoleProcess engine = engines.get(k - 1);
        engine.kill();
        await(nexusNode + " offline", () -> api.get("/v0/nodes/" + nexusNode).path("status").asText()
                .equals("Offline"));
        if (targetMoves) {
            AtomicReference<JsonNode> moved = new AtomicReference<>();
            await("target failed over from " + nexusNode, () -> {
                moved.set(api.get("/v0/volumes/" + volume).path("target"));
                return !moved.get().path("node").asText().equals(nexusNode)
                        && moved.get().path("device_uri").asText("").startsWith("nbd://");
            });
            String movedDevice = moved.get().path("device_uri").asText();
            fio.verify(movedDevice, 0, 32);
            fio.writeAndVerify(movedDevice, 32, 8);
            step("target failed over to " + moved.get().path("node").asText() + " while " + nexusNode
                    + " is down; 32 MiB verify and 8 MiB written through it");
        }
        engine.restart();
        JsonNode poolBefore = null;
        for (JsonNode p : before.get("pools")) {
            poolBefore = p.path("id").asText().equals("pool-" + k) ? p : poolBefore;
        }
        JsonNode expectedPool = poolBefore;
        // Same capacity, used and committed bytes as before the kill: the pool came back from its file.
        AtomicReference<JsonNode> nodeSeen = new AtomicReference<>();
        AtomicReference<JsonNode> poolSeen = new AtomicReference<>();
        awaitOr(nexusNode + " back with pool-" + k + " re-imported as it was", () -> {
            nodeSeen.set(api.get("/v0/nodes/" + nexusNode));
            poolSeen.set(api.get("/v0/pools/pool-" + k));
            return "Online".equals(nodeSeen.get().path("status").asText()) && poolSeen.get().equals(expectedPool);
        }, () -> {
            System.out.println("node last seen: " + nodeSeen.get());
            assertEquals(expectedPool.toPrettyString(), poolSeen.get() == null ? "(no answer)"
                    : poolSeen.get().toPrettyString());
        });
        AtomicReference<String> newDevice = new AtomicReference<>();
        await("nexus back and volume online with its three replicas", () -> {
            JsonNode v = api.get("/v0/volumes/" + volume);
            JsonNode n = api.get("/v0/nexuses/" + volume);
            newDevice.set(v.path("target").path("device_uri").asText(""));
            return "Online".equals(v.path("status").asText()) && "Online".equals(n.path("status").asText())
                    && newDevice.get().startsWith("nbd://") && v.path("replicas").equals(before.get("volumes")
                    .get(0).path("replicas"))
                    && targetMoves != v.path("target").path("node").asText().equals(nexusNode);
        });
        fio.verify(newDevice.get(), 0, 32);
        fio.verify(newDevice.get(), 48, 16);
        fio.writeAndVerify(newDevice.get(), 32, 16);
        step(nexusNode + " SIGKILLed and restarted: pool re-imported, nexus back on " + newDevice.get()
                + ", 48 MiB verify, 16 MiB more written");
    }

    /** The view once two reads in a row agree (reports and reconciliation have settled). */
    private JsonNode settledView(Api api) throws Exception {
        AtomicReference<JsonNode> last = new AtomicReference<>(api.view());
        await("REST view settled", () -> {
            Thread.sleep(1000);
            JsonNode now = api.view();
            return now.equals(last.getAndSet(now));
        });
        return last.get();
    }

    private static long countOnline(JsonNode nodes) {
        long n = 0;
        for (JsonNode node : nodes) {
            n += "Online".equals(node.path("status").asText()) ? 1 : 0;
        }
        return n;
    }

    private String poolDisk(int i) {
        return "file://" + work.resolve("node-" + i).resolve("pool.img").toAbsolutePath() + "?size_mb=" + POOL_MB;
    }

    private void step(String what) {
        System.out.printf("[ClusterIT %s %5.1f s] %s%n", work.getFileName(), (System.nanoTime() - t0) / 1e9, what);
    }

    interface Check {
        boolean ok() throws Exception;
    }

    interface Failure {
        void explain() throws Exception;
    }

    private void await(String what, Check check) throws Exception {
        awaitOr(what, check, () -> {
            throw new AssertionError("timed out after " + SETTLE.toSeconds() + " s waiting for: " + what
                    + " (logs in " + work + ")");
        });
    }

    /** Polls {@code check} until it holds or {@link #SETTLE} passes; then {@code failure} says what was wrong. */
    private void awaitOr(String what, Check check, Failure failure) throws Exception {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (check.ok()) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(250);
        }
        if (last != null) {
            System.out.println("last error while waiting for " + what + ": " + last.getMessage());
        }
        failure.explain();
        throw new AssertionError("timed out waiting for: " + what + " (logs in " + work + ")");
    }
}
