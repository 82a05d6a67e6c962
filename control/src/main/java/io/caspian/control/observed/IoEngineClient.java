package io.caspian.control.observed;

import io.caspian.events.Protocol;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.NexusStats;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * How the control plane asks an io-engine to act. Every call is idempotent on the io-engine side, so a caller may
 * retry after a timeout. Failures complete the stage with {@link IoEngineException}; an unknown or offline node is
 * {@code UNAVAILABLE}.
 */
public interface IoEngineClient {
    /**
     * Creates (or imports) a pool; {@code overwrite} lets the io-engine format a disk that holds data or a
     * signature. Only a user's explicit request sets it, never a reconciler.
     */
    CompletionStage<PoolInfo> createPool(String node, String pool, String uuid, String disk, boolean overwrite);

    /** A create that never formats a disk holding anything (what reconcilers use). */
    default CompletionStage<PoolInfo> createPool(String node, String pool, String uuid, String disk) {
        return createPool(node, pool, uuid, disk, false);
    }

    CompletionStage<Void> destroyPool(String node, String pool);

    CompletionStage<ReplicaInfo> createReplica(String node, String uuid, String pool, long size, boolean thin);

    CompletionStage<Void> destroyReplica(String node, String uuid, String pool);

    /** {@code allowedHosts}: the host NQNs that may connect; empty: any host. Another list replaces it. */
    CompletionStage<ReplicaInfo> shareReplica(String node, String uuid, Protocol protocol, Set<String> allowedHosts);

    CompletionStage<NexusInfo> createNexus(String node, String uuid, long size, List<String> children,
                                           long generation);

    CompletionStage<Void> destroyNexus(String node, String uuid);

    /** {@code allowedHosts}: the host NQNs that may connect (nvmf); empty: any host. Another list replaces it. */
    CompletionStage<NexusInfo> publishNexus(String node, String uuid, Protocol protocol, Set<String> allowedHosts);

    CompletionStage<NexusInfo> addChild(String node, String nexus, String uri);

    CompletionStage<NexusInfo> removeChild(String node, String nexus, String uri);

    /** Arms a fault on one child of a nexus through its error-injection device ({@code count} -1: until cleared). */
    CompletionStage<NexusInfo> injectFault(String node, String nexus, String uri, IoEngineCommand.FaultOp op,
                                           long offset, long length, long count);

    /** Caps the copy bandwidth of the nexus's rebuilds (0: no cap), until the nexus is re-created. */
    CompletionStage<NexusInfo> setRebuildRate(String node, String nexus, long bytesPerSecond);

    /** Brings a faulted child back: reopens it if needed and rebuilds the segments it missed (partial rebuild). */
    CompletionStage<NexusInfo> onlineChild(String node, String nexus, String uri);

    /** Removes every fault injected on one child of a nexus. */
    CompletionStage<NexusInfo> clearFaults(String node, String nexus, String uri);

    /** Reads the cumulative I/O counters of a nexus; changes nothing on the io-engine. */
    CompletionStage<NexusStats> nexusStats(String node, String nexus);
}
