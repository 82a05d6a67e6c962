package io.caspian.control.reconciler;

import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusEntity;
import io.caspian.control.entity.nexus.NexusSpec;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.node.NodeEntity;
import io.caspian.control.entity.pool.PoolEntity;
import io.caspian.control.entity.pool.PoolSpec;
import io.caspian.control.entity.replica.ReplicaCommand;
import io.caspian.control.entity.replica.ReplicaEntity;
import io.caspian.control.entity.replica.ReplicaSpec;
import io.caspian.control.entity.volume.VolumeCommand;
import io.caspian.control.entity.volume.VolumeEntity;
import io.caspian.control.entity.volume.VolumeSpec;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.control.observed.Inventory;
import io.caspian.control.scheduler.Scheduler;
import io.caspian.control.service.Entities;
import io.caspian.control.service.LossTimeouts;
import io.caspian.control.service.VolumeLocks;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.ChildInfo;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.NodeStateReport;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * A control plane's parts without a cluster, for the reconcilers' unit tests: the real entities, spawned as plain
 * local actors on the in-memory journal; an {@link Inventory} on a clock the test moves; io-engine reports the test
 * writes; and an io-engine client that records what it is asked. Each fixture uses fresh volume and replica ids, so
 * that several share one actor system.
 */
final class Fixture {
    static final LossTimeouts TIMEOUTS = new LossTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(20));
    static final Duration FAULTED_WAIT = Duration.ofSeconds(60);
    static final long SIZE = 1L << 30;

    final ManualClock clock = new ManualClock();
    final Inventory inventory = new Inventory(clock);
    final RecordingIoEngine io = new RecordingIoEngine();
    final Entities entities;
    final VolumeLocks locks = new VolumeLocks();
    /** The volumes made here, for {@link #projected}. */
    private final List<String> volumes = new ArrayList<>();
    final ReplicaOps ops;
    final Evidence evidence;
    final Shortfalls shortfalls = new Shortfalls();
    final Scheduler scheduler = new Scheduler(100);
    private final ActorTestKit kit;
    private final LocalRefs refs;
    private final Map<String, Node> nodes = new LinkedHashMap<>();

    /** What an io-engine holds, as its next report will say. */
    static final class Node {
        final ActorRef<IoEngineCommand> ref;
        final List<PoolInfo> pools = new ArrayList<>();
        final List<ReplicaInfo> replicas = new ArrayList<>();
        final List<NexusInfo> nexuses = new ArrayList<>();
        long generation;

        Node(ActorRef<IoEngineCommand> ref) {
            this.ref = ref;
        }
    }

    Fixture(ActorTestKit kit) {
        this.kit = kit;
        this.refs = new LocalRefs(kit);
        this.entities = new Entities(kit.system(), refs, Duration.ofSeconds(5));
        this.ops = new ReplicaOps(entities, inventory, io, Duration.ofSeconds(1));
        this.evidence = new Evidence(inventory, TIMEOUTS);
    }

    NexusReconciler nexuses() {
        return new NexusReconciler(entities, inventory, io, scheduler, ops, evidence, clock, false, Duration.ZERO);
    }

    FaultedChildReconciler faultedChildren() {
        return new FaultedChildReconciler(entities, inventory, io, ops, evidence,
                new FaultedChildWait(clock, FAULTED_WAIT), shortfalls);
    }

    ReplicaCountReconciler replicaCount() {
        return new ReplicaCountReconciler(entities, inventory, io, scheduler, ops, evidence, shortfalls);
    }

    VolumeReconciler volumeReconciler() {
        return VolumeReconciler.create(entities, inventory, io, scheduler, locks, Duration.ofSeconds(1), clock,
                FAULTED_WAIT, TIMEOUTS, false, Duration.ZERO);
    }

    /** A read model that knows nothing: everything is read from its entity. */
    static final Projected NOTHING_PROJECTED = new Projected() {
        @Override
        public Map<String, VolumeState> volumes(String from, String to) {
            return Map.of();
        }

        @Override
        public Map<String, NexusState> nexuses(String from, String to) {
            return Map.of();
        }

        @Override
        public Set<String> replicas(String from, String to) {
            return Set.of();
        }
    };

    GarbageCollector garbageCollector() {
        return garbageCollector(NOTHING_PROJECTED);
    }

    /**
     * The read model as if it had projected every volume and nexus entity as they are now, and of the replicas
     * only {@code replicas} (a projection that lags the others). Read now, so that using it asks no entity.
     */
    Projected projected(Set<String> replicas) {
        Map<String, VolumeState> volumeRows = new HashMap<>();
        Map<String, NexusState> nexusRows = new HashMap<>();
        Map<String, String> replicaRows = new HashMap<>();
        volumes.forEach(id -> entities.volume(id).ifPresent(v -> volumeRows.put(id, v)));
        volumes.forEach(id -> entities.nexus(id).ifPresent(n -> nexusRows.put(id, n)));
        replicas.forEach(id -> replicaRows.put(id, entities.replica(id).orElseThrow().spec().volume()));
        return new Projected() {
            @Override
            public Map<String, VolumeState> volumes(String from, String to) {
                return inRange(volumeRows, from, to);
            }

            @Override
            public Map<String, NexusState> nexuses(String from, String to) {
                return inRange(nexusRows, from, to);
            }

            @Override
            public Set<String> replicas(String from, String to) {
                return inRange(replicaRows, from, to).keySet();
            }
        };
    }

    private static <T> Map<String, T> inRange(Map<String, T> rows, String from, String to) {
        Map<String, T> out = new HashMap<>();
        rows.forEach((id, row) -> {
            if (id.compareTo(from) >= 0 && id.compareTo(to) <= 0) {
                out.put(id, row);
            }
        });
        return out;
    }

    GarbageCollector garbageCollector(Projected projection) {
        return new GarbageCollector(entities, inventory, io, locks, ops, projection);
    }

    /** An io-engine with one Online pool of 10 GiB, named after it, that the control plane created. */
    Node node(String name) {
        Node n = new Node(kit.<IoEngineCommand>createTestProbe().ref());
        n.pools.add(new PoolInfo(pool(name), UUID.randomUUID().toString(), "aio:///dev/" + name, Health.ONLINE,
                10L << 30, 0, 0, ""));
        inventory.poolSpec(pool(name), new PoolSpec(name, "aio:///dev/" + name, Map.of()));
        nodes.put(name, n);
        return n;
    }

    static String pool(String node) {
        return "pool-" + node;
    }

    Node at(String node) {
        return nodes.get(node);
    }

    /** Sends the node's state as its io-engine would: a new generation of the same instance. */
    void report(String node) {
        Node n = nodes.get(node);
        n.generation++;
        inventory.update(new NodeStateReport(node, "instance-" + node, "127.0.0.1:0", n.ref, n.generation, Map.of(),
                n.pools, n.replicas, n.nexuses, false));
    }

    void reportAll() {
        nodes.keySet().forEach(this::report);
    }

    /** The node's io-engine is gone (its cluster member left), as the data-node watcher sees it. */
    void offline(String node) {
        inventory.offline(nodes.get(node).ref);
    }

    String volume(int replicas) {
        String id = UUID.randomUUID().toString();
        volumes.add(id);
        entities.volume(id, r -> new VolumeCommand.Create(new VolumeSpec(SIZE, replicas, false, Map.of(), Map.of()),
                r));
        return id;
    }

    /** A replica of the volume on the node's pool, journaled and reported by the node (from its next report). */
    String replica(String volume, String node) {
        String id = UUID.randomUUID().toString();
        entities.replica(id, r -> new ReplicaCommand.Create(new ReplicaSpec(pool(node), node, SIZE, false, volume), r));
        entities.volume(volume, r -> new VolumeCommand.AddReplica(id, r));
        nodes.get(node).replicas.add(new ReplicaInfo(id, pool(node), SIZE, false, Protocol.NONE, "bdev:///" + id,
                Health.ONLINE));
        return id;
    }

    /** How a nexus on {@code nexusNode} reaches the replica, as {@link ReplicaOps#childUri} makes it. */
    String uri(String replica, String nexusNode) {
        String on = entities.replica(replica).orElseThrow().spec().node();
        return on.equals(nexusNode) ? "bdev:///" + replica : RecordingIoEngine.shareUri(on, replica);
    }

    /**
     * Publishes the volume on {@code node} with the replicas as children in the given states, journaled and running
     * on the node (from its next report), generation 1. A Degraded child is being rebuilt (progress 0); no other is.
     */
    void publish(String volume, String node, Map<String, ChildState> children) {
        List<Child> journaled = new ArrayList<>();
        List<ChildInfo> running = new ArrayList<>();
        children.forEach((replica, state) -> {
            journaled.add(new Child(uri(replica, node), replica, state, state == ChildState.ONLINE ? "" : "test"));
            running.add(new ChildInfo(uri(replica, node), state, "", state == ChildState.DEGRADED ? 0 : -1));
        });
        entities.nexus(volume, r -> new NexusCommand.Create(new NexusSpec(node, SIZE, volume, journaled, 1), r));
        entities.nexus(volume, r -> new NexusCommand.Publish(Protocol.NVMF, "nvmf://" + node + "/" + volume, r));
        entities.volume(volume, r -> new VolumeCommand.Publish(volume, node, Protocol.NVMF,
                "nvmf://" + node + "/" + volume, List.of(), r));
        nodes.get(node).nexuses.add(new NexusInfo(volume, SIZE, Health.ONLINE, Protocol.NVMF,
                "nvmf://" + node + "/" + volume, running, 0, 0));
    }

    /** A 3-replica volume on node-1..3 (made here), published on node-1 with every child Online, all reported. */
    String publishedOnThreeNodes() {
        Map<String, ChildState> children = new LinkedHashMap<>();
        String volume = volume(3);
        for (String node : List.of("node-1", "node-2", "node-3")) {
            node(node);
            children.put(replica(volume, node), ChildState.ONLINE);
        }
        publish(volume, "node-1", children);
        reportAll();
        return volume;
    }

    /** How many times an entity was asked something, so far. */
    long asks() {
        return refs.asks.get();
    }

    VolumeState volumeState(String id) {
        return entities.volume(id, VolumeCommand.Get::new);
    }

    NexusState nexus(String id) {
        return entities.nexus(id).orElseThrow();
    }

    ChildState childState(String volume, String replica) {
        return nexus(volume).children().stream().filter(c -> c.replica().equals(replica)).findFirst()
                .map(Child::state).orElse(null);
    }

    /** Entities spawned on first use as plain local actors, one per type and id. */
    private static final class LocalRefs implements Entities.Refs {
        private final ActorTestKit kit;
        private final Map<String, ActorRef<?>> spawned = new ConcurrentHashMap<>();
        private final AtomicLong asks = new AtomicLong();

        LocalRefs(ActorTestKit kit) {
            this.kit = kit;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <C> RecipientRef<C> ref(EntityTypeKey<C> key, String id) {
            asks.incrementAndGet();
            return (RecipientRef<C>) spawned.computeIfAbsent(key.name() + "|" + id,
                    k -> kit.spawn((Behavior<C>) behavior(key, id)));
        }

        private static Behavior<?> behavior(EntityTypeKey<?> key, String id) {
            EntitySettings s = EntitySettings.DEFAULT;
            return switch (key.name()) {
                case "Volume" -> VolumeEntity.create(id, s);
                case "Replica" -> ReplicaEntity.create(id, s);
                case "Nexus" -> NexusEntity.create(id, s);
                case "Pool" -> PoolEntity.create(id, s);
                case "Node" -> NodeEntity.create(id, s);
                default -> throw new IllegalArgumentException("no entity type " + key.name());
            };
        }
    }
}
