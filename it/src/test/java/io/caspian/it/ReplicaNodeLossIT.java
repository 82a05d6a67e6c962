package io.caspian.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.caspian.nvmf.host.NvmfDevice;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A replica node that hangs (SIGSTOP) or dies (SIGKILL) under a volume's writes, on separate JVMs: the volume's
 * writes stall at most the child I/O timeout plus one second while the node hangs, and about one reconnect attempt
 * when it dies, because its refused connection is positive evidence the replica is gone. A replica node that dies
 * while the volume is idle, which only the control plane can notice, is replaced once it has been offline for the
 * node timeout, although the faulted-child wait is much longer. Every block written before, during and after reads
 * back with its checksum. The volume's client is our NVMe/TCP initiator in this JVM with the Linux host's 30 s I/O
 * timeout, so no client-side timeout hides a stall.
 */
class ReplicaNodeLossIT {
    private static final Duration CHILD_IO_TIMEOUT = Duration.ofSeconds(6);
    private static final Duration NODE_TIMEOUT = Duration.ofSeconds(5);
    /** Longer than the test: a replacement before it ends comes from the node timeout. */
    private static final Duration FAULTED_CHILD_WAIT = Duration.ofMinutes(10);
    private static final long VOLUME_BYTES = 32L << 20;

    @Test
    void aHungOrDeadReplicaNodeStallsTheVolumeOnlyBriefly() throws Exception {
        try (EngineCluster cluster = EngineCluster.start("replica-node-loss", 5,
                List.of("--node-timeout", NODE_TIMEOUT.toSeconds() + "s",
                        "--faulted-child-wait", FAULTED_CHILD_WAIT.toSeconds() + "s"),
                List.of("--child-io-timeout", CHILD_IO_TIMEOUT.toSeconds() + "s"))) {
            run(cluster);
        }
    }

    private static void run(EngineCluster cluster) throws Exception {
        Api api = cluster.api;
        String volume = UUID.randomUUID().toString();
        JsonNode target = cluster.publishedVolume(volume, VOLUME_BYTES, 3);
        String nexusNode = target.path("node").asText();
        CheckedBlocks blocks = new CheckedBlocks();
        try (NvmfDevice dev = NvmfDevice.open(target.path("device_uri").asText()
                + "?io_queues=1&queue_depth=8&io_timeout_ms=30000")) {
            long next = 0;
            blocks.write(dev, next, 8);
            next += 8L * CheckedBlocks.BLOCK;

            RoleProcess hung = cluster.engines.get(replicaNodeOtherThan(api, volume, nexusNode));
            hung.signal("STOP");
            long hungStall = blocks.write(dev, next, 16);
            next += 16L * CheckedBlocks.BLOCK;
            System.out.printf("[ReplicaNodeLossIT] %s SIGSTOPped: longest write %d ms (child I/O timeout %d ms)%n",
                    hung.name(), hungStall, CHILD_IO_TIMEOUT.toMillis());
            assertTrue(hungStall <= CHILD_IO_TIMEOUT.toMillis() + 1000,
                    "a write stalled " + hungStall + " ms behind a hung replica node");
            hung.signal("CONT");
            blocks.verify(dev);

            Waits.await("volume back to 3 online replicas", Duration.ofSeconds(180), cluster.work,
                    () -> cluster.onlineChildren(volume) == 3);
            RoleProcess dead = cluster.engines.get(replicaNodeOtherThan(api, volume, nexusNode));
            dead.kill();
            long deadStall = blocks.write(dev, next, 16);
            next += 16L * CheckedBlocks.BLOCK;
            System.out.printf("[ReplicaNodeLossIT] %s SIGKILLed: longest write %d ms%n", dead.name(), deadStall);
            assertTrue(deadStall < CHILD_IO_TIMEOUT.toMillis() / 2,
                    "a write waited " + deadStall + " ms for a replica node that refuses connections");
            blocks.verify(dev);

            Waits.await("volume back to 3 online replicas after a node loss", Duration.ofSeconds(120),
                    cluster.work, () -> cluster.onlineChildren(volume) == 3);
            Set<String> before = childReplicas(api, volume);
            String idleNode = replicaNodeOtherThan(api, volume, nexusNode);
            long killed = System.nanoTime();
            cluster.engines.get(idleNode).kill();
            Waits.await("the volume no longer Online with " + idleNode + " gone", Duration.ofSeconds(30),
                    cluster.work, () -> !"Online".equals(api.get("/v0/volumes/" + volume).path("status").asText()));
            long degradedMs = (System.nanoTime() - killed) / 1_000_000;
            Waits.await("a replacement for the replica on idle " + idleNode, Duration.ofSeconds(60), cluster.work,
                    () -> !before.containsAll(childReplicas(api, volume)));
            long replacedMs = (System.nanoTime() - killed) / 1_000_000;
            System.out.printf("[ReplicaNodeLossIT] %s SIGKILLed with the volume idle: volume not Online after %d ms, "
                    + "replacement child added after %d ms (node timeout %d ms); nexus %s%n", idleNode, degradedMs,
                    replacedMs, NODE_TIMEOUT.toMillis(), api.get("/v0/nexuses/" + volume).path("children"));
            assertTrue(replacedMs >= NODE_TIMEOUT.toMillis(), "replaced after " + replacedMs
                    + " ms, before the node timeout");
            assertTrue(replacedMs <= NODE_TIMEOUT.toMillis() + 20_000, "replaced only after " + replacedMs + " ms");
            blocks.write(dev, next, 16);
            Waits.await("volume back to 3 online replicas after an idle node loss", Duration.ofSeconds(120),
                    cluster.work, () -> cluster.onlineChildren(volume) == 3);
            blocks.verify(dev);
        }
    }

    /** A node holding an online replica of the volume, not the nexus's node. */
    static String replicaNodeOtherThan(Api api, String volume, String nexusNode) throws Exception {
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

    static Set<String> childReplicas(Api api, String volume) throws Exception {
        Set<String> replicas = new HashSet<>();
        for (JsonNode child : api.get("/v0/nexuses/" + volume).path("children")) {
            replicas.add(child.path("replica").asText());
        }
        return replicas;
    }
}
