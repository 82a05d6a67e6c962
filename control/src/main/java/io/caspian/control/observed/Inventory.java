package io.caspian.control.observed;

import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.NodeStateReport;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import io.caspian.control.entity.pool.PoolSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The latest report of every io-engine this control node has heard from, and whether it is still reachable.
 * Written by {@link DataNodeWatcher}, read by anyone: each entry is an immutable report swapped atomically.
 */
public final class Inventory {
    /** One io-engine: its last report and whether its DataNode is alive. */
    public record Observed(NodeStateReport report, boolean online) {
        public String node() {
            return report.node();
        }
    }

    /** Something observed on a node. */
    public record On<T>(String node, T info) {
    }

    private final Map<String, Observed> nodes = new ConcurrentHashMap<>();
    private final Set<String> cordoned = ConcurrentHashMap.newKeySet();
    private final Map<String, PoolSpec> poolSpecs = new ConcurrentHashMap<>();
    private final Map<String, Instant> recentlyCreated = new ConcurrentHashMap<>();
    private final Clock clock;

    public Inventory(Clock clock) {
        this.clock = clock;
    }

    /** Stores a report unless an equal or newer one of the same io-engine instance is already here. */
    public boolean update(NodeStateReport r) {
        boolean[] changed = {false};
        nodes.compute(r.node(), (k, old) -> {
            if (old != null && old.online() && old.report().instance().equals(r.instance())
                    && old.report().generation() >= r.generation()) {
                return old;
            }
            changed[0] = true;
            return new Observed(r, true);
        });
        return changed[0];
    }

    /** Marks the node whose DataNode is {@code ref} offline; returns its name, if known. */
    public Optional<String> offline(ActorRef<IoEngineCommand> ref) {
        for (Observed o : nodes.values()) {
            if (o.report().dataNode().equals(ref) && o.online()) {
                nodes.computeIfPresent(o.node(), (k, old) -> new Observed(old.report(), false));
                return Optional.of(o.node());
            }
        }
        return Optional.empty();
    }

    public Optional<Observed> node(String node) {
        return Optional.ofNullable(nodes.get(node));
    }

    public List<Observed> nodes() {
        return List.copyOf(nodes.values());
    }

    public Optional<ActorRef<IoEngineCommand>> dataNode(String node) {
        Observed o = nodes.get(node);
        return o != null && o.online() ? Optional.of(o.report().dataNode()) : Optional.empty();
    }

    public Optional<PoolInfo> pool(String node, String name) {
        return node(node).flatMap(o -> o.report().pools().stream().filter(p -> p.name().equals(name)).findFirst());
    }

    public Optional<On<ReplicaInfo>> replica(String uuid) {
        for (Observed o : nodes.values()) {
            for (ReplicaInfo r : o.report().replicas()) {
                if (r.uuid().equals(uuid)) {
                    return Optional.of(new On<>(o.node(), r));
                }
            }
        }
        return Optional.empty();
    }

    public Optional<NexusInfo> nexus(String node, String uuid) {
        return node(node).flatMap(o -> o.report().nexuses().stream().filter(n -> n.uuid().equals(uuid)).findFirst());
    }

    public List<On<ReplicaInfo>> replicas() {
        List<On<ReplicaInfo>> all = new ArrayList<>();
        for (Observed o : nodes.values()) {
            o.report().replicas().forEach(r -> all.add(new On<>(o.node(), r)));
        }
        return all;
    }

    public void cordoned(String node, boolean on) {
        if (on) {
            cordoned.add(node);
        } else {
            cordoned.remove(node);
        }
    }

    public boolean cordoned(String node) {
        return cordoned.contains(node);
    }

    /** Pools the control plane created, by name: only these take replicas, and their labels come from here. */
    public void poolSpec(String pool, PoolSpec spec) {
        if (spec == null) {
            poolSpecs.remove(pool);
        } else {
            poolSpecs.put(pool, spec);
        }
    }

    public Map<String, PoolSpec> poolSpecs() {
        return Map.copyOf(poolSpecs);
    }

    /**
     * Notes a replica just created. Its io-engine's report may reach us after the reply to the create, so for
     * {@link #GRACE} a replica missing from reports is not taken for lost.
     */
    public void created(String uuid) {
        Instant now = clock.instant();
        recentlyCreated.put(uuid, now);
        recentlyCreated.values().removeIf(t -> t.isBefore(now.minus(GRACE)));
    }

    public boolean recentlyCreated(String uuid) {
        Instant t = recentlyCreated.get(uuid);
        return t != null && t.isAfter(clock.instant().minus(GRACE));
    }

    public static final Duration GRACE = Duration.ofSeconds(30);

    public int nexusCount(String node) {
        return node(node).map(o -> o.report().nexuses().size()).orElse(0);
    }
}
