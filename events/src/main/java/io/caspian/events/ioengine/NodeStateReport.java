package io.caspian.events.ioengine;

import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Everything one io-engine holds. {@code instance} changes on every io-engine start, which is how the control plane
 * tells a restart (nexuses gone) from a network blip; {@code generation} orders reports of one instance.
 * {@code publishesToBus}: the io-engine publishes its nexuses' child and rebuild events to the bus, which then
 * carries them in order, ahead of or behind this report.
 */
public record NodeStateReport(String node, String instance, String endpoint, ActorRef<IoEngineCommand> dataNode,
                              long generation, Map<String, String> labels, List<PoolInfo> pools,
                              List<ReplicaInfo> replicas, List<NexusInfo> nexuses, boolean publishesToBus) implements IoEngineMessage {
    public NodeStateReport {
        labels = Map.copyOf(labels);
        pools = List.copyOf(pools);
        replicas = List.copyOf(replicas);
        nexuses = List.copyOf(nexuses);
    }
}
