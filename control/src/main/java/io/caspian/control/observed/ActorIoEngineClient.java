package io.caspian.control.observed;

import io.caspian.events.Protocol;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineReply;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.NexusStats;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/** {@link IoEngineClient} over Pekko: asks the node's DataNode actor, found in the {@link Inventory}. */
public final class ActorIoEngineClient implements IoEngineClient {
    private final ActorSystem<?> system;
    private final Inventory inventory;
    private final Duration timeout;

    public ActorIoEngineClient(ActorSystem<?> system, Inventory inventory, Duration timeout) {
        this.system = system;
        this.inventory = inventory;
        this.timeout = timeout;
    }

    @Override
    public CompletionStage<PoolInfo> createPool(String node, String pool, String uuid, String disk,
            boolean overwrite) {
        return ask(node, "create pool " + pool, r -> new IoEngineCommand.CreatePool(pool, uuid, disk, overwrite, r))
                .thenApply(x -> expect(x, IoEngineReply.PoolDone.class, node).pool());
    }

    @Override
    public CompletionStage<Void> destroyPool(String node, String pool) {
        return ask(node, "destroy pool " + pool, r -> new IoEngineCommand.DestroyPool(pool, r))
                .thenApply(x -> gone(x, node));
    }

    @Override
    public CompletionStage<ReplicaInfo> createReplica(String node, String uuid, String pool, long size, boolean thin) {
        return ask(node, "create replica " + uuid, r -> new IoEngineCommand.CreateReplica(uuid, pool, size, thin, r))
                .thenApply(x -> expect(x, IoEngineReply.ReplicaDone.class, node).replica());
    }

    @Override
    public CompletionStage<Void> destroyReplica(String node, String uuid, String pool) {
        return ask(node, "destroy replica " + uuid, r -> new IoEngineCommand.DestroyReplica(uuid, pool, r))
                .thenApply(x -> gone(x, node));
    }

    @Override
    public CompletionStage<ReplicaInfo> shareReplica(String node, String uuid, Protocol protocol,
                                                     Set<String> allowedHosts) {
        return ask(node, "share replica " + uuid, r -> new IoEngineCommand.ShareReplica(uuid, protocol, allowedHosts,
                r))
                .thenApply(x -> expect(x, IoEngineReply.ReplicaDone.class, node).replica());
    }

    @Override
    public CompletionStage<NexusInfo> createNexus(String node, String uuid, long size, List<String> children,
                                                  long generation) {
        return ask(node, "create nexus " + uuid, r -> new IoEngineCommand.CreateNexus(uuid, size, children,
                generation, r))
                .thenApply(x -> expect(x, IoEngineReply.NexusDone.class, node).nexus());
    }

    @Override
    public CompletionStage<Void> destroyNexus(String node, String uuid) {
        return ask(node, "destroy nexus " + uuid, r -> new IoEngineCommand.DestroyNexus(uuid, r))
                .thenApply(x -> gone(x, node));
    }

    @Override
    public CompletionStage<NexusInfo> publishNexus(String node, String uuid, Protocol protocol,
                                                   Set<String> allowedHosts) {
        return ask(node, "publish nexus " + uuid, r -> new IoEngineCommand.PublishNexus(uuid, protocol, allowedHosts,
                r))
                .thenApply(x -> expect(x, IoEngineReply.NexusDone.class, node).nexus());
    }

    @Override
    public CompletionStage<NexusInfo> addChild(String node, String nexus, String uri) {
        return ask(node, "add child " + uri + " to nexus " + nexus, r -> new IoEngineCommand.AddChild(nexus, uri, r))
                .thenApply(x -> expect(x, IoEngineReply.NexusDone.class, node).nexus());
    }

    @Override
    public CompletionStage<NexusInfo> removeChild(String node, String nexus, String uri) {
        return ask(node, "remove child " + uri + " from nexus " + nexus,
                r -> new IoEngineCommand.RemoveChild(nexus, uri, r))
                .thenApply(x -> expect(x, IoEngineReply.NexusDone.class, node).nexus());
    }

    @Override
    public CompletionStage<NexusInfo> injectFault(String node, String nexus, String uri, IoEngineCommand.FaultOp op,
                                                  long offset, long length, long count) {
        return ask(node, "inject a fault on child " + uri + " of nexus " + nexus,
                r -> new IoEngineCommand.InjectFault(nexus, uri, op, offset, length, count, r))
                .thenApply(x -> expect(x, IoEngineReply.NexusDone.class, node).nexus());
    }

    @Override
    public CompletionStage<NexusInfo> setRebuildRate(String node, String nexus, long bytesPerSecond) {
        return ask(node, "cap the rebuilds of nexus " + nexus + " at " + bytesPerSecond + " bytes/s",
                r -> new IoEngineCommand.SetRebuildRate(nexus, bytesPerSecond, r))
                .thenApply(x -> expect(x, IoEngineReply.NexusDone.class, node).nexus());
    }

    @Override
    public CompletionStage<NexusInfo> onlineChild(String node, String nexus, String uri) {
        return ask(node, "bring child " + uri + " of nexus " + nexus + " back online",
                r -> new IoEngineCommand.Rebuild(nexus, uri, IoEngineCommand.RebuildAction.START, r))
                .thenApply(x -> expect(x, IoEngineReply.NexusDone.class, node).nexus());
    }

    @Override
    public CompletionStage<NexusInfo> clearFaults(String node, String nexus, String uri) {
        return ask(node, "clear the faults of child " + uri + " of nexus " + nexus,
                r -> new IoEngineCommand.ClearFaults(nexus, uri, r))
                .thenApply(x -> expect(x, IoEngineReply.NexusDone.class, node).nexus());
    }

    @Override
    public CompletionStage<NexusStats> nexusStats(String node, String nexus) {
        return ask(node, "read the I/O stats of nexus " + nexus, r -> new IoEngineCommand.GetNexusStats(nexus, r))
                .thenApply(x -> expect(x, IoEngineReply.Stats.class, node).stats());
    }

    private CompletionStage<IoEngineReply> ask(String node, String what,
                                               Function<ActorRef<IoEngineReply>, IoEngineCommand> command) {
        var ref = inventory.dataNode(node);
        if (ref.isEmpty()) {
            return CompletableFuture.failedFuture(IoEngineException.unanswered(
                    "cannot " + what + ": io-engine on node '" + node + "' is unknown or offline"));
        }
        return AskPattern.ask(ref.get(), command::apply, timeout, system.scheduler())
                .exceptionally(e -> {
                    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                            ? e.getCause() : e;
                    if (cause instanceof TimeoutException) {
                        throw IoEngineException.unanswered("cannot " + what + ": io-engine on node '" + node
                                + "' did not answer within " + timeout.toMillis() + " ms");
                    }
                    throw new IoEngineException(FailureKind.INTERNAL, "cannot " + what + " on node '" + node + "': "
                            + cause);
                })
                .thenApply(reply -> {
                    if (reply instanceof IoEngineReply.Failed f) {
                        throw new IoEngineException(f.kind(), "io-engine on node '" + node + "' could not " + what
                                + ": " + f.message());
                    }
                    return reply;
                });
    }

    private static <T extends IoEngineReply> T expect(IoEngineReply reply, Class<T> type, String node) {
        if (type.isInstance(reply)) {
            return type.cast(reply);
        }
        throw new IoEngineException(FailureKind.INTERNAL, "io-engine on node '" + node + "' answered " + reply
                + " where " + type.getSimpleName() + " was expected");
    }

    private static Void gone(IoEngineReply reply, String node) {
        if (reply instanceof IoEngineReply.Removed) {
            return null;
        }
        throw new IoEngineException(FailureKind.INTERNAL, "io-engine on node '" + node + "' answered " + reply
                + " to a destroy");
    }
}
