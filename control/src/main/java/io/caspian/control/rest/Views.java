package io.caspian.control.rest;

import io.caspian.control.entity.node.NodeState;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.pool.PoolState;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.control.observed.Inventory;
import io.caspian.control.readmodel.ModelKind;
import io.caspian.control.readmodel.ReadModel;
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

/**
 * Desired state joined with observed state from the io-engines, as the API shows them. One object comes from its
 * entity; listings come from the read model, which holds the same states.
 */
final class Views {
    private final Entities entities;
    private final ReadModel model;
    private final Inventory inventory;
    private final Function<String, String> shortfall;

    /** {@code shortfall} tells why a volume is short of replicas, or null. */
    Views(Entities entities, ReadModel model, Inventory inventory, Function<String, String> shortfall) {
        this.entities = entities;
        this.model = model;
        this.inventory = inventory;
        this.shortfall = shortfall;
    }

    List<Json.Node> nodes() {
        return model.current(ModelKind.NODE).stream().map(this::node).toList();
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
        return model.current(ModelKind.POOL).stream().map(this::pool).toList();
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
        return model.current(ModelKind.REPLICA).stream().map(this::replica).toList();
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
        return model.current(ModelKind.NEXUS).stream().map(this::nexus).toList();
    }

    Optional<Json.Nexus> nexus(String id) {
        return entities.nexus(id).map(this::nexus);
    }

    /** The nexus as {@code fresh}, an io-engine's answer to a change, shows it (its reports may lag). */
    Json.Nexus nexus(NexusState n, NexusInfo fresh) {
        return nexus(n, Optional.of(fresh));
    }

    private Json.Nexus nexus(NexusState n) {
        return nexus(n, inventory.nexus(n.node(), n.id()));
    }

    private Json.Nexus nexus(NexusState n, Optional<NexusInfo> o) {
        List<Json.Child> children = n.children().stream().map(c -> {
            Optional<ChildInfo> oc = o.flatMap(x -> x.children().stream().filter(y -> y.uri().equals(c.uri()))
                    .findFirst());
            ChildState state = oc.map(ChildInfo::state).orElse(c.state());
            return new Json.Child(c.uri(), c.replica(), capitalized(state.name()),
                    oc.map(ChildInfo::reason).orElse(c.reason()), oc.map(ChildInfo::rebuildProgress).orElse(-1));
        }).toList();
        return new Json.Nexus(n.id(), n.node(), n.size(), health(o.map(NexusInfo::status).orElse(Health.UNKNOWN)),
                protocol(n.protocol()), n.deviceUri(), children,
                o.map(NexusInfo::rebuildBytesPerSecond).orElse(0L));
    }

    List<Json.Volume> volumes() {
        return model.current(ModelKind.VOLUME).stream().map(this::volume).toList();
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
