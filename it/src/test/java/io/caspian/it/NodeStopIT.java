package io.caspian.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An io-engine stopped with SIGTERM (a rolling upgrade, a node drain) leaves the cluster on its way out, so the
 * control plane lists it Offline at once rather than after the failure detector and downing give up on it. The
 * bound is 10 s; a SIGKILLed node is Offline within the failure detector's time either way.
 */
class NodeStopIT {
    private static final Duration BOUND = Duration.ofSeconds(10);

    private final List<RoleProcess> processes = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (RoleProcess p : processes) {
            p.close();
        }
    }

    @Test
    void aStoppedIoEngineIsOfflineWithinTheBound() throws Exception {
        Path work = Files.createDirectories(Path.of(System.getProperty("caspian.it.work", "target/it-work"))
                .resolve("node-stop-" + System.currentTimeMillis()));
        int controlPort = Ports.free();
        int restPort = Ports.free();
        int enginePort = Ports.free();
        RoleProcess control = RoleProcess.start("control", work, List.of("control", "--data-dir",
                work.resolve("control").toString(), "--port", String.valueOf(controlPort), "--rest",
                "127.0.0.1:" + restPort, "--seed", "127.0.0.1:" + controlPort, "--seed", "127.0.0.1:" + enginePort));
        processes.add(control);
        RoleProcess engine = RoleProcess.start("node-1", work, List.of("io-engine", "--node-id", "node-1",
                "--data-dir", work.resolve("node-1").toString(), "--port", String.valueOf(enginePort),
                "--seed", "127.0.0.1:" + controlPort, "--nbd-port", String.valueOf(Ports.free()),
                "--nvmf-port", String.valueOf(Ports.free())));
        processes.add(engine);
        Api api = new Api(restPort, work.resolve("control"));
        Waits.await("node-1 online", Duration.ofSeconds(90), work,
                () -> "Online".equals(api.get("/v0/nodes/node-1").path("status").asText()));

        // A node with work on it: a pool, a replica and a published nexus, which its shutdown must close.
        String disk = "file://" + work.resolve("node-1").resolve("pool.img").toAbsolutePath() + "?size_mb=64";
        api.put("/v0/nodes/node-1/pools/pool-1", "{\"disks\":[\"" + disk + "\"]}");
        String volume = UUID.randomUUID().toString();
        api.put("/v0/volumes/" + volume, "{\"size\":" + (8L << 20) + ",\"replicas\":1,\"thin\":false}");
        api.put("/v0/volumes/" + volume + "/target?protocol=nbd", null);
        Waits.await("volume online", Duration.ofSeconds(60), work,
                () -> "Online".equals(api.get("/v0/volumes/" + volume).path("status").asText()));

        long stopped = System.nanoTime();
        engine.close();
        assertTrue(!engine.alive(), "the io-engine exited on SIGTERM");
        System.out.printf("[NodeStopIT] node-1 exited %.1f s after SIGTERM%n", (System.nanoTime() - stopped) / 1e9);
        Waits.await("node-1 offline within " + BOUND.toSeconds() + " s of SIGTERM", BOUND, work,
                () -> "Offline".equals(api.get("/v0/nodes/node-1").path("status").asText()));
        System.out.printf("[NodeStopIT] node-1 Offline %.1f s after SIGTERM%n", (System.nanoTime() - stopped) / 1e9);
    }
}
