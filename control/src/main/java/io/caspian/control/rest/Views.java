package io.caspian.control.rest;

import io.caspian.control.entity.node.NodeEntity;
import io.caspian.control.entity.node.NodeState;
import io.caspian.control.entity.nexus.NexusEntity;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.pool.PoolEntity;
import io.caspian.control.entity.pool.PoolState;
import io.caspian.control.entity.replica.ReplicaEntity;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.entity.volume.VolumeEntity;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.control.observed.Inventory;
import io.caspian.control.service.Entities;
import io.caspian.control.service.VolumeStatsService;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.ChildInfo;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** Desired state from the entities joined with observed state from the io-engines, as the API shows them. */
final class Views {
    private final Entities entities;
    private final Inventory inventory;
    private final Function<String, String> shortfall;

    /** {@code shortfall} tells why a volume is short of replicas, or null. */
    Views(Entities entities, Inventory inventory, Function<String, String> shortfall) {
        this.entities = entities;
        this.inventory = inventory;
        this.shortfall = shortfall;
    }

    List<Json.Node> nodes() {
        return all(entities.ids(NodeEntity.TYPE_KEY), entities::node, this::node);
    }

    Optional<Json.Node> node(String id) {
        return entities.node(id).map(this::node);
    }

    private Json.Node node(NodeState n) {
        // Unknown: heard from since this control node started, but its reports stopped (it may be fine); a node not
        // heard from at all since the start is Offline only once it was seen going, else Unknown as well.
        String status = inventory.node(n.id()).map(o -> switch (o.health()) {
            case ONLINE -> "Online";
            case OFFLINE -> "Offline";
            case UNKNOWN -> "Unknown";
        }).orElse(n.online() ? "Unknown" : "Offline");
        return new Json.Node(n.id(), n.endpoint(), status, n.cordoned(), n.labels());
    }

    List<Json.Pool> pools() {
        return all(entities.ids(PoolEntity.TYPE_KEY), entities::pool, this::pool);
    }

    Optional<Json.Pool> pool(String id) {
        return entities.pool(id).map(this::pool);
    }

    Json.Pool pool(PoolState p) {
        Optional<PoolInfo> o = inventory.pool(p.spec().node(), p.id());
        return new Json.Pool(p.id(), p.spec().node(), List.of(p.spec().disk()), p.spec().labels(),
                health(o.map(PoolInfo::status).orElse(p.status())),
                Optional.of(o.map(PoolInfo::reason).orElse(p.reason())).filter(r -> !r.isEmpty()).orElse(null),
                o.map(PoolInfo::capacity).orElse(0L),
                o.map(PoolInfo::used).orElse(0L), o.map(PoolInfo::committed).orElse(0L));
    }

    List<Json.Replica> replicas() {
        return all(entities.ids(ReplicaEntity.TYPE_KEY), entities::replica, this::replica);
    }

    Optional<Json.Replica> replica(String id) {
        return entities.replica(id).map(this::replica);
    }

    private Json.Replica replica(ReplicaState r) {
        Optional<ReplicaInfo> o = inventory.replica(r.id()).map(Inventory.On::info);
        return new Json.Replica(r.id(), r.spec().pool(), r.spec().node(), r.spec().size(), r.spec().thin(),
                protocol(r.share()), r.uri(), health(o.map(ReplicaInfo::status).orElse(Health.UNKNOWN)),
                r.spec().volume());
    }

    List<Json.Nexus> nexuses() {
        return all(entities.ids(NexusEntity.TYPE_KEY), entities::nexus, this::nexus);
    }

    Optional<Json.Nexus> nexus(String id) {
        return entities.nexus(id).map(this::nexus);
    }

    private Json.Nexus nexus(NexusState n) {
        Optional<NexusInfo> o = inventory.nexus(n.node(), n.id());
        List<Json.Child> children = n.children().stream().map(c -> {
            Optional<ChildInfo> oc = o.flatMap(x -> x.children().stream().filter(y -> y.uri().equals(c.uri()))
                    .findFirst());
            ChildState state = oc.map(ChildInfo::state).orElse(c.state());
            return new Json.Child(c.uri(), c.replica(), capitalized(state.name()),
                    oc.map(ChildInfo::reason).orElse(c.reason()), oc.map(ChildInfo::rebuildProgress).orElse(-1));
        }).toList();
        return new Json.Nexus(n.id(), n.node(), n.size(), health(o.map(NexusInfo::status).orElse(Health.UNKNOWN)),
                protocol(n.protocol()), n.deviceUri(), children);
    }

    List<Json.Volume> volumes() {
        return all(entities.ids(VolumeEntity.TYPE_KEY), entities::volume, this::volume);
    }

    Optional<Json.Volume> volume(String id) {
        return entities.volume(id).map(this::volume);
    }

    Json.Volume volume(VolumeState v) {
        Json.Target target = v.published()
                ? new Json.Target(v.targetNode(), protocol(v.protocol()), v.deviceUri(), v.hosts()) : null;
        return new Json.Volume(v.id(), new Json.VolumeSpec(v.spec().size(), v.spec().replicas(), v.spec().thin(),
                new Json.Topology(v.spec().nodeLabels(), v.spec().poolLabels())), health(v.status()),
                v.lifecycle() == io.caspian.control.entity.Lifecycle.ACTIVE ? reason(v) : null,
                v.replicas(), target);
    }

    static Json.VolumeStats stats(VolumeStatsService.VolumeStats s) {
        var c = s.counters();
        var r = s.rates();
        return new Json.VolumeStats(s.volume(), s.node(), s.timeMs(), c.readOps(), c.writeOps(), c.bytesRead(),
                c.bytesWritten(), c.readLatencyUs(), c.writeLatencyUs(), r == null ? null : r.readIops(),
                r == null ? null : r.writeIops(), r == null ? null : r.readBps(), r == null ? null : r.writeBps());
    }

    /** The latest shortfall (fresher than the journal's), else the journaled reason; null when there is none. */
    private String reason(VolumeState v) {
        String now = shortfall.apply(v.id());
        return now != null ? now : v.reason().isEmpty() ? null : v.reason();
    }

    private static <S, J> List<J> all(List<String> ids, Function<String, Optional<S>> get, Function<S, J> view) {
        return ids.stream().map(get).flatMap(Optional::stream).map(view).toList();
    }

    static String health(Health h) {
        return capitalized(h.name());
    }

    static String protocol(Protocol p) {
        return p.name().toLowerCase();
    }

    private static String capitalized(String name) {
        return name.charAt(0) + name.substring(1).toLowerCase();
    }
}
