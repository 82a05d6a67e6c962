package io.caspian.control.reconciler;

import io.caspian.control.observed.IoEngineClient;
import io.caspian.control.observed.IoEngineException;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.ChildInfo;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.NexusStats;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * An io-engine client for reconciler unit tests: answers every call at once, as an io-engine that did what it was
 * asked, and records each call as a line ({@code "createNexus node-2 v1 gen=2 [nvmf://node-2/r2]"}) for the test to
 * read. Calls on a node told to refuse fail as an io-engine's refusal; it keeps no state of its own.
 */
final class RecordingIoEngine implements IoEngineClient {
    final List<String> calls = new CopyOnWriteArrayList<>();
    private final Set<String> refusingPools = new java.util.concurrent.CopyOnWriteArraySet<>();

    /** Replica creates on this pool fail as its io-engine refusing them (a failed disk, no room). */
    void refuseReplicasOn(String pool) {
        refusingPools.add(pool);
    }

    List<String> calls(String prefix) {
        return calls.stream().filter(c -> c.startsWith(prefix)).toList();
    }

    static String shareUri(String node, String replica) {
        return "nvmf://" + node + "/" + replica;
    }

    @Override
    public CompletionStage<PoolInfo> createPool(String node, String pool, String uuid, String disk, boolean overwrite) {
        return answer("createPool " + node + " " + pool, () -> new PoolInfo(pool, uuid, disk, Health.ONLINE,
                1L << 30, 0, 0, ""));
    }

    @Override
    public CompletionStage<Void> destroyPool(String node, String pool) {
        return answer("destroyPool " + node + " " + pool, () -> null);
    }

    @Override
    public CompletionStage<ReplicaInfo> createReplica(String node, String uuid, String pool, long size, boolean thin) {
        String call = "createReplica " + node + " " + pool + " " + uuid;
        if (refusingPools.contains(pool)) {
            calls.add(call);
            return CompletableFuture.failedFuture(new IoEngineException(FailureKind.RESOURCE_EXHAUSTED,
                    "pool " + pool + " has no room"));
        }
        return answer(call, () -> new ReplicaInfo(uuid, pool, size, thin, Protocol.NONE, "bdev:///" + uuid,
                Health.ONLINE));
    }

    @Override
    public CompletionStage<Void> destroyReplica(String node, String uuid, String pool) {
        return answer("destroyReplica " + node + " " + uuid, () -> null);
    }

    @Override
    public CompletionStage<ReplicaInfo> shareReplica(String node, String uuid, Protocol protocol,
                                                     Set<String> allowedHosts) {
        return answer("shareReplica " + node + " " + uuid + " " + allowedHosts, () -> new ReplicaInfo(uuid, "pool",
                0, false, protocol, shareUri(node, uuid), Health.ONLINE));
    }

    @Override
    public CompletionStage<NexusInfo> createNexus(String node, String uuid, long size, List<String> children,
                                                  long generation) {
        return answer("createNexus " + node + " " + uuid + " gen=" + generation + " " + children,
                () -> nexus(uuid, size, children, ChildState.ONLINE));
    }

    @Override
    public CompletionStage<Void> destroyNexus(String node, String uuid) {
        return answer("destroyNexus " + node + " " + uuid, () -> null);
    }

    @Override
    public CompletionStage<NexusInfo> publishNexus(String node, String uuid, Protocol protocol,
                                                   Set<String> allowedHosts) {
        return answer("publishNexus " + node + " " + uuid, () -> new NexusInfo(uuid, 0, Health.ONLINE, protocol,
                "nvmf://" + node + "/" + uuid, List.of(), 0, 0));
    }

    @Override
    public CompletionStage<NexusInfo> addChild(String node, String nexus, String uri) {
        return answer("addChild " + node + " " + nexus + " " + uri,
                () -> nexus(nexus, 0, List.of(uri), ChildState.DEGRADED));
    }

    @Override
    public CompletionStage<NexusInfo> removeChild(String node, String nexus, String uri) {
        return answer("removeChild " + node + " " + nexus + " " + uri, () -> nexus(nexus, 0, List.of(), null));
    }

    @Override
    public CompletionStage<NexusInfo> injectFault(String node, String nexus, String uri, IoEngineCommand.FaultOp op,
                                                  long offset, long length, long count) {
        return answer("injectFault " + node + " " + nexus + " " + uri, () -> nexus(nexus, 0, List.of(), null));
    }

    @Override
    public CompletionStage<NexusInfo> setRebuildRate(String node, String nexus, long bytesPerSecond) {
        return answer("setRebuildRate " + node + " " + nexus, () -> nexus(nexus, 0, List.of(), null));
    }

    @Override
    public CompletionStage<NexusInfo> onlineChild(String node, String nexus, String uri) {
        return answer("onlineChild " + node + " " + nexus + " " + uri,
                () -> nexus(nexus, 0, List.of(uri), ChildState.DEGRADED));
    }

    @Override
    public CompletionStage<NexusInfo> clearFaults(String node, String nexus, String uri) {
        return answer("clearFaults " + node + " " + nexus + " " + uri, () -> nexus(nexus, 0, List.of(), null));
    }

    @Override
    public CompletionStage<NexusStats> nexusStats(String node, String nexus) {
        throw new UnsupportedOperationException("no reconciler reads I/O counters");
    }

    private static NexusInfo nexus(String uuid, long size, List<String> children, ChildState state) {
        List<ChildInfo> infos = new ArrayList<>();
        // A Degraded child is being rebuilt (progress 0); an Online one is not (-1).
        children.forEach(c -> infos.add(new ChildInfo(c, state, "", state == ChildState.DEGRADED ? 0 : -1)));
        return new NexusInfo(uuid, size, Health.ONLINE, Protocol.NONE, "", infos, 0, 0);
    }

    private <T> CompletionStage<T> answer(String call, Supplier<T> value) {
        calls.add(call);
        return CompletableFuture.completedFuture(value.get());
    }
}
