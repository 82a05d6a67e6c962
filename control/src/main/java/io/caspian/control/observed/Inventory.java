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
 *
 * <p>A node is {@link NodeHealth#ONLINE} only while its reports keep arriving: the watcher asks every DataNode for
 * a fresh report every few seconds, so a report older than {@code staleAfter} means the subscription broke (a
 * DataNode can drop a subscriber whose address it saw terminated), not that the node is empty. Such a node is
 * {@link NodeHealth#UNKNOWN}: what it holds is not known, so nothing on it may be destroyed or replaced, and
 * nothing new is placed there. A node never heard from since this control node started is not listed at all.
 */
public final class Inventory {
    /** What the control plane knows of an io-engine right now. */
    public enum NodeHealth {
        /** Reporting: its last report is fresh and its DataNode is alive. */
        ONLINE,
        /** Positive evidence that it is gone: its DataNode stopped or its member is unreachable or removed. */
        OFFLINE,
        /** Heard from once, but its reports stopped arriving: its last report may be stale. */
        UNKNOWN
    }

    /**
     * One io-engine: its last report, whether its DataNode is alive, and whether that report is fresh; {@code index}
     * finds a replica or nexus of the report by uuid, built once per report.
     */
    public record Observed(NodeStateReport report, boolean alive, Instant received, NodeHealth health,
                           ReportIndex index) {
        public String node() {
            return report.node();
        }

        /** Online with a fresh report: the only state in which its report is evidence of what it holds. */
        public boolean online() {
            return health == NodeHealth.ONLINE;
        }
    }

    /**
     * A report's replicas and nexuses by uuid. The lookups run for every replica of every volume a pass or a
     * listing looks at; a scan of every report each time made a listing of n volumes cost n².
     */
    public record ReportIndex(Map<String, ReplicaInfo> replicas, Map<String, NexusInfo> nexuses) {
        static ReportIndex of(NodeStateReport r) {
            Map<String, ReplicaInfo> replicas = new java.util.HashMap<>(r.replicas().size() * 2);
            r.replicas().forEach(x -> replicas.putIfAbsent(x.uuid(), x));
            Map<String, NexusInfo> nexuses = new java.util.HashMap<>(r.nexuses().size() * 2);
            r.nexuses().forEach(x -> nexuses.putIfAbsent(x.uuid(), x));
            return new ReportIndex(java.util.Collections.unmodifiableMap(replicas),
                    java.util.Collections.unmodifiableMap(nexuses));
        }
    }

    /** Something observed on a node. */
    public record On<T>(String node, T info) {
    }

    private final Map<String, Observed> nodes = new ConcurrentHashMap<>();
    private final Set<String> cordoned = ConcurrentHashMap.newKeySet();
    private final Map<String, PoolSpec> poolSpecs = new ConcurrentHashMap<>();
    private final Map<String, Instant> recentlyCreated = new ConcurrentHashMap<>();
    /** When each node now Offline was seen going: how long it has been gone decides when its replicas are replaced. */
    private final Map<String, Instant> offlineSince = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Duration staleAfter;

    public Inventory(Clock clock) {
        this(clock, DEFAULT_STALE_AFTER);
    }

    /** {@code staleAfter}: how old the last report of a live node may be before the node counts as unknown. */
    public Inventory(Clock clock, Duration staleAfter) {
        this.clock = clock;
        this.staleAfter = staleAfter;
    }

    /** Three missed refreshes of {@link DataNodeWatcher}'s default period. */
    public static final Duration DEFAULT_STALE_AFTER = Duration.ofSeconds(15);

    /**
     * Stores a report unless a newer one of the same io-engine instance is already here; an equal one only
     * refreshes the time it was last heard from. Returns whether the report says something new.
     */
    public boolean update(NodeStateReport r) {
        boolean[] changed = {false};
        Instant now = clock.instant();
        nodes.compute(r.node(), (k, old) -> {
            boolean sameInstance = old != null && old.alive() && old.report().instance().equals(r.instance());
            if (sameInstance && old.report().generation() > r.generation()) {
                return old;
            }
            if (sameInstance && old.report().generation() == r.generation()) {
                // A refresh: new only if the node had gone quiet for long enough to count as unknown.
                changed[0] = health(old, now) != NodeHealth.ONLINE;
                return new Observed(old.report(), true, now, NodeHealth.ONLINE, old.index());
            }
            changed[0] = true;
            return new Observed(r, true, now, NodeHealth.ONLINE, ReportIndex.of(r));
        });
        offlineSince.remove(r.node());
        return changed[0];
    }

    /** Marks the node whose DataNode is {@code ref} offline; returns its name, if known. */
    public Optional<String> offline(ActorRef<IoEngineCommand> ref) {
        for (Observed o : nodes.values()) {
            if (o.report().dataNode().equals(ref) && o.alive()) {
                nodes.computeIfPresent(o.node(), (k, old) -> new Observed(old.report(), false, old.received(),
                        NodeHealth.OFFLINE, old.index()));
                offlineSince.putIfAbsent(o.node(), clock.instant());
                return Optional.of(o.node());
            }
        }
        return Optional.empty();
    }

    public Optional<Observed> node(String node) {
        return Optional.ofNullable(nodes.get(node)).map(this::now);
    }

    /** Whether a fresh report of the node is here and the node is Online. */
    public boolean online(String node) {
        return node(node).map(Observed::online).orElse(false);
    }

    public List<Observed> nodes() {
        return nodes.values().stream().map(this::now).toList();
    }

    /** The node's health for a person: ONLINE, OFFLINE, UNKNOWN, or that it was never heard from. */
    public String describe(String node) {
        return node(node).map(o -> o.health().name()).orElse("not heard from since the control plane started");
    }

    /**
     * Whether the node has been Offline — positive evidence it is gone — for at least {@code timeout} without a
     * report since. A node merely quiet (Unknown) or not heard from since this control node started never is.
     */
    public boolean offlineFor(String node, Duration timeout) {
        Instant since = offlineSince.get(node);
        return since != null && node(node).map(o -> o.health() == NodeHealth.OFFLINE).orElse(false)
                && !since.plus(timeout).isAfter(clock.instant());
    }

    public Optional<ActorRef<IoEngineCommand>> dataNode(String node) {
        Observed o = nodes.get(node);
        return o != null && o.alive() ? Optional.of(o.report().dataNode()) : Optional.empty();
    }

    private Observed now(Observed o) {
        NodeHealth h = health(o, clock.instant());
        return h == o.health() ? o : new Observed(o.report(), o.alive(), o.received(), h, o.index());
    }

    private NodeHealth health(Observed o, Instant now) {
        if (!o.alive()) {
            return NodeHealth.OFFLINE;
        }
        return o.received().plus(staleAfter).isBefore(now) ? NodeHealth.UNKNOWN : NodeHealth.ONLINE;
    }

    /**
     * Whether the pool is Online in a report of its node: the only state in which the pool can record a change (a
     * failed metadata write faults it until it is imported) and in which its report is evidence of what it holds.
     */
    public boolean poolOnline(String node, String name) {
        // Only a fresh report of a node that is Online counts: an Offline or quiet node's last word may be stale.
        return node(node).filter(Observed::online).isPresent()
                && pool(node, name).filter(p -> p.status() == io.caspian.events.Health.ONLINE).isPresent();
    }

    public Optional<PoolInfo> pool(String node, String name) {
        return node(node).flatMap(o -> o.report().pools().stream().filter(p -> p.name().equals(name)).findFirst());
    }

    /** The replica as last reported, wherever it is (the report may be stale: check the node's health). */
    public Optional<On<ReplicaInfo>> replica(String uuid) {
        for (Observed o : nodes.values()) {
            ReplicaInfo r = o.index().replicas().get(uuid);
            if (r != null) {
                return Optional.of(new On<>(o.node(), r));
            }
        }
        return Optional.empty();
    }

    public Optional<NexusInfo> nexus(String node, String uuid) {
        return Optional.ofNullable(nodes.get(node)).map(o -> o.index().nexuses().get(uuid));
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
