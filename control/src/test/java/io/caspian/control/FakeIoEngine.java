package io.caspian.control;

import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.ChildInfo;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineProtocol;
import io.caspian.events.ioengine.IoEngineReply;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.NexusStats;
import io.caspian.events.ioengine.NodeStateReport;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * An io-engine without storage, for control-plane tests: speaks the DataNode protocol, keeps pools, replicas and
 * nexuses in memory, reports state on every change, and takes test-only messages that simulate a restart, a
 * faulted child, a stray replica, a hung or refusing process and a nexus's I/O counters. Pools are {@code malloc:///name?size_mb=N}; a disk under {@code /etc/} stands for one outside the
 * io-engine's disk allow list (PERMISSION_DENIED), anything else is refused as unopenable.
 */
final class FakeIoEngine {
    /** Test-only messages. */
    sealed interface Control {
    }

    /** Like a process restart: new instance, nexuses gone, pools and replicas back (imported from disk). */
    record Restart() implements Control {
    }

    record FaultChild(String nexus, String uri) implements Control {
    }

    record AddStrayReplica(String uuid, String pool, long size) implements Control {
    }

    record Stop() implements Control {
    }

    /**
     * A hung io-engine (a stopped process, a stalled disk): still registered and still pushing reports, but every
     * command from now on is dropped unanswered, until unmuted.
     */
    record Mute(boolean muted) implements Control {
    }

    /** An io-engine that answers every command with a refusal (INVALID_ARGUMENT) from now on, until told otherwise. */
    record Refuse(boolean refusing) implements Control {
    }

    /** The counters a nexus of that uuid answers with from now on (zero until set). */
    record SetStats(NexusStats stats) implements Control {
    }

    private record RebuildDone(String nexus, String uri) implements Control {
    }

    private static final class Pool {
        final String name;
        final String uuid;
        final String disk;
        final long capacity;
        long used;
        long committed;

        Pool(String name, String uuid, String disk, long capacity) {
            this.name = name;
            this.uuid = uuid;
            this.disk = disk;
            this.capacity = capacity;
        }

        PoolInfo info() {
            return new PoolInfo(name, uuid, disk, Health.ONLINE, capacity, used, committed);
        }
    }

    private final ActorContext<Object> ctx;
    private final String node;
    private final String endpoint;
    private String instance = UUID.randomUUID().toString();
    private long generation;
    private final Map<String, Pool> pools = new LinkedHashMap<>();
    private final Map<String, ReplicaInfo> replicas = new LinkedHashMap<>();
    private final Map<String, NexusInfo> nexuses = new LinkedHashMap<>();
    private final Map<String, NexusStats> stats = new java.util.HashMap<>();
    private final Set<ActorRef<NodeStateReport>> subscribers = new HashSet<>();
    private final Set<String> destroyed;
    private boolean muted;
    private boolean refusing;

    private FakeIoEngine(ActorContext<Object> ctx, String node, String endpoint, Set<String> destroyed) {
        this.ctx = ctx;
        this.node = node;
        this.endpoint = endpoint;
        this.destroyed = destroyed;
    }

    /** {@code destroyed} collects the uuid of every replica this io-engine was asked to destroy. */
    static Behavior<Object> create(String node, String endpoint, Set<String> destroyed) {
        return Behaviors.setup(ctx -> {
            ActorRef<IoEngineCommand> self = ctx.getSelf().narrow();
            ctx.getSystem().receptionist().tell(Receptionist.register(IoEngineProtocol.DATA_NODE, self));
            return new FakeIoEngine(ctx, node, endpoint, destroyed).behavior();
        });
    }

    private Behavior<Object> behavior() {
        return Behaviors.receive(Object.class)
                .onMessage(IoEngineCommand.class, c -> {
                    if (c instanceof IoEngineCommand.SubscribeState || !muted && !refusing) {
                        handle(c);
                    } else if (refusing) {
                        c.replyTo().tell(new IoEngineReply.Failed(FailureKind.INVALID_ARGUMENT, "refused by the test"));
                    }
                    return Behaviors.same();
                })
                .onMessage(Mute.class, m -> {
                    muted = m.muted();
                    return Behaviors.same();
                })
                .onMessage(Refuse.class, m -> {
                    refusing = m.refusing();
                    return Behaviors.same();
                })
                .onMessage(Restart.class, m -> {
                    instance = UUID.randomUUID().toString();
                    nexuses.clear();
                    report();
                    return Behaviors.same();
                })
                .onMessage(FaultChild.class, m -> {
                    setChild(m.nexus(), m.uri(), ChildState.FAULTED, "injected fault");
                    return Behaviors.same();
                })
                .onMessage(RebuildDone.class, m -> {
                    setChild(m.nexus(), m.uri(), ChildState.ONLINE, "");
                    return Behaviors.same();
                })
                .onMessage(AddStrayReplica.class, m -> {
                    replicas.put(m.uuid(), new ReplicaInfo(m.uuid(), m.pool(), m.size(), true, Protocol.NONE,
                            "bdev:///" + m.uuid(), Health.ONLINE));
                    report();
                    return Behaviors.same();
                })
                .onMessage(SetStats.class, m -> {
                    stats.put(m.stats().nexus(), m.stats());
                    return Behaviors.same();
                })
                .onMessage(Stop.class, m -> Behaviors.stopped())
                .onSignal(Terminated.class, t -> {
                    subscribers.remove(t.getRef());
                    return Behaviors.same();
                })
                .build();
    }

    private void handle(IoEngineCommand c) {
        IoEngineReply reply;
        if (c instanceof IoEngineCommand.SubscribeState s) {
            subscribers.add(s.subscriber());
            ctx.watch(s.subscriber());
            s.subscriber().tell(snapshot());
            return;
        } else if (c instanceof IoEngineCommand.GetNexusStats g) {
            g.replyTo().tell(!nexuses.containsKey(g.nexus())
                    ? new IoEngineReply.Failed(FailureKind.NOT_FOUND, "no nexus " + g.nexus())
                    : new IoEngineReply.Stats(stats.getOrDefault(g.nexus(), new NexusStats(g.nexus(), 0, 0, 0, 0, 0,
                            0))));
            return;
        } else if (c instanceof IoEngineCommand.CreatePool p) {
            reply = createPool(p);
        } else if (c instanceof IoEngineCommand.ImportPool p) {
            reply = createPool(new IoEngineCommand.CreatePool(p.name(), p.uuid(), p.disk(), p.replyTo()));
        } else if (c instanceof IoEngineCommand.DestroyPool p) {
            if (replicas.values().stream().anyMatch(r -> r.pool().equals(p.name()))) {
                reply = new IoEngineReply.Failed(FailureKind.FAILED_PRECONDITION, "pool " + p.name()
                        + " has replicas");
            } else {
                pools.remove(p.name());
                reply = new IoEngineReply.Removed(p.name());
            }
        } else if (c instanceof IoEngineCommand.CreateReplica r) {
            reply = createReplica(r);
        } else if (c instanceof IoEngineCommand.DestroyReplica r) {
            destroyed.add(r.uuid());
            ReplicaInfo gone = replicas.remove(r.uuid());
            if (gone != null) {
                Pool pool = pools.get(gone.pool());
                pool.committed -= gone.size();
                pool.used -= gone.thin() ? 0 : gone.size();
            }
            reply = new IoEngineReply.Removed(r.uuid());
        } else if (c instanceof IoEngineCommand.ShareReplica s) {
            ReplicaInfo r = replicas.get(s.uuid());
            if (r == null) {
                reply = new IoEngineReply.Failed(FailureKind.NOT_FOUND, "no replica " + s.uuid());
            } else {
                ReplicaInfo shared = new ReplicaInfo(r.uuid(), r.pool(), r.size(), r.thin(), s.protocol(),
                        "nvmf://" + endpoint + "/nqn.2019-05.io.caspian:" + r.uuid(), r.status());
                replicas.put(r.uuid(), shared);
                reply = new IoEngineReply.ReplicaDone(shared);
            }
        } else if (c instanceof IoEngineCommand.CreateNexus n) {
            NexusInfo existing = nexuses.get(n.uuid());
            if (existing == null) {
                existing = new NexusInfo(n.uuid(), n.size(), Health.ONLINE, Protocol.NONE, "",
                        n.children().stream().map(u -> new ChildInfo(u, ChildState.ONLINE, "", -1)).toList(), 64, 0);
                nexuses.put(n.uuid(), existing);
            }
            reply = new IoEngineReply.NexusDone(existing);
        } else if (c instanceof IoEngineCommand.PublishNexus p) {
            NexusInfo n = nexuses.get(p.uuid());
            if (n == null) {
                reply = new IoEngineReply.Failed(FailureKind.NOT_FOUND, "no nexus " + p.uuid());
            } else {
                String uri = p.protocol() == Protocol.NBD ? "nbd://" + endpoint + "/" + p.uuid()
                        : "nvmf://" + endpoint + "/nqn.2019-05.io.caspian:nexus-" + p.uuid();
                n = new NexusInfo(n.uuid(), n.size(), n.status(), p.protocol(), uri, n.children(), n.errorThreshold(),
                        n.rebuildBytesPerSecond());
                nexuses.put(n.uuid(), n);
                reply = new IoEngineReply.NexusDone(n);
            }
        } else if (c instanceof IoEngineCommand.DestroyNexus d) {
            nexuses.remove(d.uuid());
            reply = new IoEngineReply.Removed(d.uuid());
        } else if (c instanceof IoEngineCommand.AddChild a) {
            NexusInfo n = nexuses.get(a.nexus());
            if (n == null) {
                reply = new IoEngineReply.Failed(FailureKind.NOT_FOUND, "no nexus " + a.nexus());
            } else {
                List<ChildInfo> children = new ArrayList<>(n.children());
                if (children.stream().noneMatch(x -> x.uri().equals(a.uri()))) {
                    children.add(new ChildInfo(a.uri(), ChildState.DEGRADED, "rebuilding", 0));
                    ctx.scheduleOnce(Duration.ofMillis(200), ctx.getSelf(), new RebuildDone(a.nexus(), a.uri()));
                }
                n = withChildren(n, children);
                reply = new IoEngineReply.NexusDone(n);
            }
        } else if (c instanceof IoEngineCommand.RemoveChild r) {
            NexusInfo n = nexuses.get(r.nexus());
            if (n == null) {
                reply = new IoEngineReply.Failed(FailureKind.NOT_FOUND, "no nexus " + r.nexus());
            } else {
                n = withChildren(n, n.children().stream().filter(x -> !x.uri().equals(r.uri())).toList());
                reply = new IoEngineReply.NexusDone(n);
            }
        } else if (c instanceof IoEngineCommand.SetRebuildRate s) {
            NexusInfo n = nexuses.get(s.nexus());
            if (n == null) {
                reply = new IoEngineReply.Failed(FailureKind.NOT_FOUND, "no nexus " + s.nexus());
            } else {
                n = new NexusInfo(n.uuid(), n.size(), n.status(), n.protocol(), n.deviceUri(), n.children(),
                        n.errorThreshold(), s.bytesPerSecond());
                nexuses.put(n.uuid(), n);
                reply = new IoEngineReply.NexusDone(n);
            }
        } else {
            String nexus = c instanceof IoEngineCommand.Rebuild r ? r.nexus()
                    : c instanceof IoEngineCommand.InjectFault f ? f.nexus()
                    : c instanceof IoEngineCommand.ClearFaults f ? f.nexus()
                    : ((IoEngineCommand.SetErrorPolicy) c).nexus();
            NexusInfo n = nexuses.get(nexus);
            reply = n == null ? new IoEngineReply.Failed(FailureKind.NOT_FOUND, "no such nexus")
                    : new IoEngineReply.NexusDone(n);
        }
        c.replyTo().tell(reply);
        report();
    }

    private IoEngineReply createPool(IoEngineCommand.CreatePool p) {
        Pool existing = pools.get(p.name());
        if (existing != null) {
            return existing.disk.equals(p.disk()) ? new IoEngineReply.PoolDone(existing.info())
                    : new IoEngineReply.Failed(FailureKind.ALREADY_EXISTS, "pool " + p.name() + " is on "
                            + existing.disk);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("malloc:///[^?]+\\?size_mb=(\\d+)(&holds=data)?")
                .matcher(p.disk());
        if (p.disk().startsWith("/etc/") || p.disk().startsWith("file:///etc/")) {
            return new IoEngineReply.Failed(FailureKind.PERMISSION_DENIED, "disk " + p.disk()
                    + " is outside the io-engine's disk allow list");
        }
        if (!m.matches()) {
            return new IoEngineReply.Failed(FailureKind.INVALID_ARGUMENT, "cannot open disk " + p.disk());
        }
        if (m.group(2) != null && !p.overwrite()) {
            // Stands for a disk with data on it, which the real io-engine refuses to format unless told to.
            return new IoEngineReply.Failed(FailureKind.INVALID_ARGUMENT, "disk " + p.disk()
                    + " holds data; create the pool with overwrite to format it");
        }
        Pool pool = new Pool(p.name(), p.uuid(), p.disk(), Long.parseLong(m.group(1)) << 20);
        pools.put(p.name(), pool);
        return new IoEngineReply.PoolDone(pool.info());
    }

    private IoEngineReply createReplica(IoEngineCommand.CreateReplica r) {
        ReplicaInfo existing = replicas.get(r.uuid());
        if (existing != null) {
            return new IoEngineReply.ReplicaDone(existing);
        }
        Pool pool = pools.get(r.pool());
        if (pool == null) {
            return new IoEngineReply.Failed(FailureKind.NOT_FOUND, "no pool " + r.pool());
        }
        if (pool.disk.contains("refuse-replicas")) {
            // a disk that fails under the pool: it looks fine in reports, then refuses the write
            return new IoEngineReply.Failed(FailureKind.UNAVAILABLE, "pool " + r.pool() + ": metadata write failed");
        }
        if (!r.thin() && pool.capacity - pool.used < r.size()) {
            return new IoEngineReply.Failed(FailureKind.RESOURCE_EXHAUSTED, "pool " + r.pool() + " is full");
        }
        pool.committed += r.size();
        pool.used += r.thin() ? 0 : r.size();
        ReplicaInfo info = new ReplicaInfo(r.uuid(), r.pool(), r.size(), r.thin(), Protocol.NONE,
                "bdev:///" + r.uuid(), Health.ONLINE);
        replicas.put(r.uuid(), info);
        return new IoEngineReply.ReplicaDone(info);
    }

    private void setChild(String nexus, String uri, ChildState state, String reason) {
        NexusInfo n = nexuses.get(nexus);
        if (n != null) {
            nexuses.put(nexus, withChildren(n, n.children().stream()
                    .map(x -> x.uri().equals(uri) ? new ChildInfo(uri, state, reason, -1) : x).toList()));
            report();
        }
    }

    private NexusInfo withChildren(NexusInfo n, List<ChildInfo> children) {
        long online = children.stream().filter(x -> x.state() == ChildState.ONLINE).count();
        Health h = online == 0 ? Health.FAULTED : online == children.size() ? Health.ONLINE : Health.DEGRADED;
        NexusInfo updated = new NexusInfo(n.uuid(), n.size(), h, n.protocol(), n.deviceUri(), children,
                n.errorThreshold(), n.rebuildBytesPerSecond());
        nexuses.put(n.uuid(), updated);
        return updated;
    }

    private NodeStateReport snapshot() {
        return new NodeStateReport(node, instance, endpoint, ctx.getSelf().narrow(), generation, Map.of("zone", node),
                pools.values().stream().map(Pool::info).toList(), List.copyOf(replicas.values()),
                List.copyOf(nexuses.values()), false);
    }

    private void report() {
        generation++;
        NodeStateReport r = snapshot();
        subscribers.forEach(s -> s.tell(r));
    }
}
