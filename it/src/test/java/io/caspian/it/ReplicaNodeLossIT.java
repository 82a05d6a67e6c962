package io.caspian.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.SyncIo;
import io.caspian.nvmf.host.NvmfDevice;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A replica node that hangs (SIGSTOP) or dies (SIGKILL) under a volume's writes, on separate JVMs: the volume's
 * writes stall at most the child I/O timeout plus one second while the node hangs, and about one reconnect attempt
 * when it dies, because its refused connection is positive evidence the replica is gone. Every block written
 * before, during and after reads back with its checksum. The volume's client is our NVMe/TCP initiator in this JVM
 * with the Linux host's 30 s I/O timeout, so no client-side timeout hides a stall.
 */
class ReplicaNodeLossIT {
    private static final Duration CHILD_IO_TIMEOUT = Duration.ofSeconds(6);
    private static final int BLOCK = 64 * 1024;
    private static final long VOLUME_BYTES = 32L << 20;

    private final List<RoleProcess> processes = new ArrayList<>();
    private final Map<Long, Long> written = new LinkedHashMap<>();

    @AfterEach
    void stopAll() throws Exception {
        for (RoleProcess p : processes) {
            if (p.alive()) {
                p.signal("CONT");
            }
            p.close();
        }
    }

    @Test
    void aHungOrDeadReplicaNodeStallsTheVolumeOnlyBriefly() throws Exception {
        Path work = Files.createDirectories(Path.of(System.getProperty("caspian.it.work", "target/it-work"))
                .resolve("replica-node-loss-" + System.currentTimeMillis()));
        int controlPort = Ports.free();
        int restPort = Ports.free();
        List<Integer> enginePorts = List.of(Ports.free(), Ports.free(), Ports.free(), Ports.free());
        List<String> control = new ArrayList<>(List.of("control", "--data-dir", work.resolve("control").toString(),
                "--port", String.valueOf(controlPort), "--rest", "127.0.0.1:" + restPort,
                "--seed", "127.0.0.1:" + controlPort));
        enginePorts.forEach(p -> control.addAll(List.of("--seed", "127.0.0.1:" + p)));
        processes.add(RoleProcess.start("control", work, control));
        Map<String, RoleProcess> engines = new LinkedHashMap<>();
        for (int i = 1; i <= enginePorts.size(); i++) {
            String node = "node-" + i;
            RoleProcess e = RoleProcess.start(node, work, List.of("io-engine", "--node-id", node,
                    "--data-dir", work.resolve(node).toString(), "--port", String.valueOf(enginePorts.get(i - 1)),
                    "--seed", "127.0.0.1:" + controlPort, "--nbd-port", String.valueOf(Ports.free()),
                    "--nvmf-port", String.valueOf(Ports.free()),
                    "--child-io-timeout", CHILD_IO_TIMEOUT.toSeconds() + "s"));
            processes.add(e);
            engines.put(node, e);
        }
        Api api = new Api(restPort, work.resolve("control"));
        for (String node : engines.keySet()) {
            Waits.await(node + " online", Duration.ofSeconds(120), work,
                    () -> "Online".equals(api.get("/v0/nodes/" + node).path("status").asText()));
            String disk = "file://" + work.resolve(node).resolve("pool.img").toAbsolutePath() + "?size_mb=96";
            api.put("/v0/nodes/" + node + "/pools/pool-" + node, "{\"disks\":[\"" + disk + "\"]}");
        }
        String volume = UUID.randomUUID().toString();
        api.put("/v0/volumes/" + volume, "{\"size\":" + VOLUME_BYTES + ",\"replicas\":3,\"thin\":false}");
        api.put("/v0/volumes/" + volume + "/target?protocol=nvmf", null);
        Waits.await("volume online", Duration.ofSeconds(60), work,
                () -> "Online".equals(api.get("/v0/volumes/" + volume).path("status").asText()));
        JsonNode target = api.get("/v0/volumes/" + volume).path("target");
        String nexusNode = target.path("node").asText();

        try (NvmfDevice dev = NvmfDevice.open(target.path("device_uri").asText()
                + "?io_queues=1&queue_depth=8&io_timeout_ms=30000")) {
            long next = 0;
            next = writeBlocks(dev, next, 8);

            RoleProcess hung = engines.get(replicaNodeOtherThan(api, volume, nexusNode));
            hung.signal("STOP");
            long hungStall = maxWriteMillis(dev, next, 16);
            next += 16L * BLOCK;
            System.out.printf("[ReplicaNodeLossIT] %s SIGSTOPped: longest write %d ms (child I/O timeout %d ms)%n",
                    hung.name(), hungStall, CHILD_IO_TIMEOUT.toMillis());
            assertTrue(hungStall <= CHILD_IO_TIMEOUT.toMillis() + 1000,
                    "a write stalled " + hungStall + " ms behind a hung replica node");
            hung.signal("CONT");
            verifyAll(dev);

            Waits.await("volume back to 3 online replicas", Duration.ofSeconds(180), work,
                    () -> onlineChildren(api, volume) == 3);
            RoleProcess dead = engines.get(replicaNodeOtherThan(api, volume, nexusNode));
            dead.kill();
            long deadStall = maxWriteMillis(dev, next, 16);
            System.out.printf("[ReplicaNodeLossIT] %s SIGKILLed: longest write %d ms%n", dead.name(), deadStall);
            assertTrue(deadStall < CHILD_IO_TIMEOUT.toMillis() / 2,
                    "a write waited " + deadStall + " ms for a replica node that refuses connections");
            verifyAll(dev);
        }
    }

    /** A node holding an online replica of the volume, not the nexus's node. */
    private static String replicaNodeOtherThan(Api api, String volume, String nexusNode) throws Exception {
        for (JsonNode child : api.get("/v0/nexuses/" + volume).path("children")) {
            if (!"Online".equals(child.path("state").asText())) {
                continue;
            }
            String node = api.get("/v0/replicas/" + child.path("replica").asText()).path("node").asText();
            if (!node.equals(nexusNode)) {
                return node;
            }
        }
        throw new AssertionError("no online replica off the nexus's node " + nexusNode + ": "
                + api.get("/v0/nexuses/" + volume));
    }

    private static int onlineChildren(Api api, String volume) throws Exception {
        int n = 0;
        for (JsonNode child : api.get("/v0/nexuses/" + volume).path("children")) {
            n += "Online".equals(child.path("state").asText()) ? 1 : 0;
        }
        return n;
    }

    private long writeBlocks(NvmfDevice dev, long offset, int count) throws Exception {
        maxWriteMillis(dev, offset, count);
        return offset + (long) count * BLOCK;
    }

    /** Writes {@code count} checksummed blocks from {@code offset}; the longest single write in ms. */
    private long maxWriteMillis(NvmfDevice dev, long offset, int count) throws Exception {
        long longest = 0;
        ByteBuffer buf = DirectMemory.allocate(BLOCK);
        for (int i = 0; i < count; i++) {
            long at = offset + (long) i * BLOCK;
            SplittableRandom r = new SplittableRandom(at ^ System.nanoTime());
            for (int j = 0; j < BLOCK; j += 8) {
                buf.putLong(j, r.nextLong());
            }
            long t0 = System.nanoTime();
            SyncIo.write(dev, at, buf, 0, BLOCK);
            longest = Math.max(longest, (System.nanoTime() - t0) / 1_000_000);
            written.put(at, crc(buf));
        }
        return longest;
    }

    private void verifyAll(NvmfDevice dev) throws Exception {
        ByteBuffer buf = DirectMemory.allocate(BLOCK);
        for (Map.Entry<Long, Long> w : written.entrySet()) {
            SyncIo.read(dev, w.getKey(), buf, 0, BLOCK);
            assertEquals(w.getValue(), crc(buf), "block at " + w.getKey() + " reads back wrong");
        }
    }

    private static long crc(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate().clear().limit(BLOCK));
        return c.getValue();
    }
}
