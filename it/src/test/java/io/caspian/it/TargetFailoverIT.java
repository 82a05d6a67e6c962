package io.caspian.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.caspian.bdev.BdevException;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.SyncIo;
import io.caspian.nvmf.host.NvmfDevice;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The node running a volume's nexus lost, on separate JVMs: once it has been offline for the node timeout the
 * control plane re-creates the nexus on another node, under the same volume NQN, from the children it knows to be in
 * sync, and every block acknowledged before reads back with its checksum through the new target. Killed (SIGKILL):
 * the replica on the dead node is replaced. Frozen (SIGSTOP) and resumed after the failover: what the old nexus
 * writes then never reaches the new nexus's replicas, and the control plane destroys the old nexus as a stray.
 */
class TargetFailoverIT {
    private static final Duration NODE_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration FAILOVER_TIMEOUT = Duration.ofSeconds(2);
    private static final long VOLUME_BYTES = 32L << 20;
    private static final String CLIENT = "?io_queues=1&queue_depth=8&io_timeout_ms=30000";

    @Test
    void aLostTargetNodeFailsOverWithEveryAcknowledgedWrite() throws Exception {
        try (EngineCluster cluster = EngineCluster.start("target-failover", 4,
                List.of("--node-timeout", NODE_TIMEOUT.toSeconds() + "s", "--failover-timeout",
                        FAILOVER_TIMEOUT.toSeconds() + "s", "--faulted-child-wait", "10m"),
                List.of("--child-io-timeout", "6s"))) {
            run(cluster);
        }
    }

    private static void run(EngineCluster cluster) throws Exception {
        Api api = cluster.api;
        String volume = UUID.randomUUID().toString();
        JsonNode target = cluster.publishedVolume(volume, VOLUME_BYTES, 3);
        CheckedBlocks blocks = new CheckedBlocks();
        try (NvmfDevice dev = NvmfDevice.open(target.path("device_uri").asText() + CLIENT)) {
            blocks.write(dev, 0, 64);
        }

        // Killed: the target moves, the replica on the dead node is replaced.
        String first = target.path("node").asText();
        long killed = System.nanoTime();
        cluster.engines.get(first).kill();
        JsonNode moved = awaitTargetOff(cluster, volume, first);
        long movedMs = (System.nanoTime() - killed) / 1_000_000;
        assertEquals(nqn(target), nqn(moved), "the same volume NQN on the new node");
        long firstIoMs;
        try (NvmfDevice dev = NvmfDevice.open(moved.path("device_uri").asText() + CLIENT)) {
            blocks.verify(dev);
            blocks.write(dev, 64L * CheckedBlocks.BLOCK, 16);
            firstIoMs = (System.nanoTime() - killed) / 1_000_000;
            Waits.await("volume back to 3 online replicas after its target failed over", Duration.ofSeconds(120),
                    cluster.work, () -> cluster.onlineChildren(volume) == 3
                            && "Online".equals(api.get("/v0/volumes/" + volume).path("status").asText()));
            blocks.verify(dev);
        }
        System.out.printf("[TargetFailoverIT] %s SIGKILLed: target on %s after %d ms, first write there done after "
                + "%d ms (failover timeout %d ms), %d blocks verified%n", first, moved.path("node").asText(), movedMs,
                firstIoMs, FAILOVER_TIMEOUT.toMillis(), blocks.count());

        // Frozen, failed over, resumed: the old nexus is fenced off the new one's replicas and destroyed.
        String second = moved.path("node").asText();
        try (NvmfDevice old = NvmfDevice.open(moved.path("device_uri").asText()
                + "?io_queues=1&queue_depth=8&io_timeout_ms=5000")) {
            RoleProcess frozen = cluster.engines.get(second);
            frozen.signal("STOP");
            JsonNode third = awaitTargetOff(cluster, volume, second);
            frozen.signal("CONT");
            ByteBuffer stale = DirectMemory.allocate(CheckedBlocks.BLOCK);
            for (int i = 0; i < CheckedBlocks.BLOCK; i += 8) {
                stale.putLong(i, 0x5717E5717E5717EL);
            }
            int acknowledged = 0;
            for (int i = 0; i < 8; i++) {
                acknowledged += tryWrite(old, (long) i * CheckedBlocks.BLOCK, stale) ? 1 : 0;
            }
            try (NvmfDevice dev = NvmfDevice.open(third.path("device_uri").asText() + CLIENT)) {
                blocks.verify(dev);
            }
            System.out.printf("[TargetFailoverIT] %s SIGSTOPped: target on %s; after SIGCONT the old target "
                    + "acknowledged %d of 8 writes, none reached the new nexus's replicas (%d blocks verified)%n",
                    second, third.path("node").asText(), acknowledged, blocks.count());
            assertEquals(0, acknowledged, "a superseded target acknowledged writes");
            Waits.await("the old nexus on " + second + " destroyed as a stray", Duration.ofSeconds(60),
                    cluster.work, () -> !tryWrite(old, 0, stale));
        }
        // The resumed node's replica, left out of the new nexus, is asked back within the faulted-child wait once the
        // old nexus is gone (a full rebuild under a URI made for the new target): the first node is dead, so there
        // is no other way back to three in-sync replicas.
        Waits.await("volume back to 3 online replicas with " + second + "'s replica rebuilt", Duration.ofSeconds(120),
                cluster.work, () -> cluster.onlineChildren(volume) == 3
                        && "Online".equals(api.get("/v0/volumes/" + volume).path("status").asText()));
        try (NvmfDevice dev = NvmfDevice.open(api.get("/v0/volumes/" + volume).path("target").path("device_uri")
                .asText() + CLIENT)) {
            blocks.verify(dev);
        }
    }

    /** Waits for the volume's target to be published on a node other than {@code node}; returns the target. */
    private static JsonNode awaitTargetOff(EngineCluster cluster, String volume, String node) throws Exception {
        JsonNode[] target = new JsonNode[1];
        Waits.await("the target of volume " + volume + " off node " + node, Duration.ofSeconds(60), cluster.work,
                () -> {
                    target[0] = cluster.api.get("/v0/volumes/" + volume).path("target");
                    return !target[0].path("node").asText().equals(node)
                            && !target[0].path("device_uri").asText().isEmpty();
                });
        assertNotEquals(node, target[0].path("node").asText());
        return target[0];
    }

    private static String nqn(JsonNode target) {
        String uri = target.path("device_uri").asText();
        return uri.substring(uri.lastIndexOf('/') + 1);
    }

    private static boolean tryWrite(NvmfDevice dev, long offset, ByteBuffer buf) {
        try {
            SyncIo.write(dev, offset, buf, 0, CheckedBlocks.BLOCK);
            return true;
        } catch (BdevException e) {
            return false;
        }
    }
}
