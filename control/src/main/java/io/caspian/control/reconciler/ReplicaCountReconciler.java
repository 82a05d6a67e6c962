package io.caspian.control.reconciler;

import io.caspian.control.entity.Reply;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.replica.ReplicaCommand;
import io.caspian.control.entity.replica.ReplicaSpec;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.entity.volume.VolumeCommand;
import io.caspian.control.entity.volume.VolumeSpec;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.control.observed.Inventory;
import io.caspian.control.observed.IoEngineClient;
import io.caspian.control.observed.IoEngineException;
import io.caspian.control.scheduler.Placement;
import io.caspian.control.scheduler.PoolCandidate;
import io.caspian.control.scheduler.ReplicaRequest;
import io.caspian.control.scheduler.Scheduler;
import io.caspian.control.service.Candidates;
import io.caspian.control.service.ControlException;
import io.caspian.control.service.Entities;
import io.caspian.events.ChildState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a volume at its replica count: drops the replicas there is positive evidence are gone, places and creates
 * what is missing (a pool that refuses is skipped for the next best), and removes what is more than wanted, out of
 * sync first. What cannot be placed, and why, is the volume's {@link Shortfalls shortfall}.
 */
public final class ReplicaCountReconciler {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaCountReconciler.class);

    private final Entities entities;
    private final Inventory inventory;
    private final IoEngineClient io;
    private final Scheduler scheduler;
    private final ReplicaOps ops;
    private final Evidence evidence;
    private final Shortfalls shortfalls;

    ReplicaCountReconciler(Entities entities, Inventory inventory, IoEngineClient io, Scheduler scheduler,
                           ReplicaOps ops, Evidence evidence, Shortfalls shortfalls) {
        this.entities = entities;
        this.inventory = inventory;
        this.io = io;
        this.scheduler = scheduler;
        this.ops = ops;
        this.evidence = evidence;
        this.shortfalls = shortfalls;
    }

    /**
     * Takes out of the volume every replica, but the {@code faulted} ones (whose fate is the faulted-child rules'),
     * that a fresh report shows gone; and every replica id whose entity vanished (a crash between two writes).
     * {@code states}: the volume's replicas that have a live entity, read by this pass.
     */
    void dropGone(VolumeState v, List<ReplicaState> states, Set<String> faulted) {
        for (ReplicaState r : states) {
            if (faulted.contains(r.id())) {
                continue;
            }
            String why = evidence.lost(r);
            if (why != null) {
                LOG.warn("volume {}: replica {} on node {} is lost ({}); replacing it", v.id(), r.id(),
                        r.spec().node(), why);
                ops.drop(v, r);
            }
        }
        Set<String> live = states.stream().map(ReplicaState::id).collect(Collectors.toSet());
        for (String replica : v.replicas()) {
            if (!live.contains(replica)) {
                entities.volume(v.id(), r -> new VolumeCommand.RemoveReplica(replica, r));
            }
        }
    }

    /**
     * Brings the volume from {@code have} usable replicas to its count: places the missing ones, or removes the
     * extra ones. Returns how many are still missing (0 when none are).
     */
    int adjust(VolumeState v, int have) {
        int want = v.spec().replicas();
        if (have < want) {
            return want - have - add(v, want - have);
        }
        shortfalls.remove(v.id());
        if (have > want) {
            remove(v, have - want);
        }
        return 0;
    }

    /**
     * Places and creates {@code count} more replicas. A pool that refuses (its disk failed, it filled up since its
     * last report) is skipped and the next best one tried; what could not be placed, and every refusal, is the
     * volume's shortfall. Returns how many were made.
     */
    int add(VolumeState v, int count) {
        Set<String> excluded = new HashSet<>(ops.nodes(v));
        Set<String> refusedPools = new HashSet<>();
        List<String> refusals = new ArrayList<>();
        boolean unanswered = false;
        Optional<NexusState> nexus = v.published() ? entities.nexus(v.nexus()) : Optional.empty();
        int made = 0;
        String shortfall = null;
        while (made < count) {
            // a pool that refused is left out of the next round, its node is not: another pool there may do
            Placement p = scheduler.placeReplicas(request(v.spec(), count - made, excluded),
                    Candidates.nodes(inventory), Candidates.pools(inventory).stream()
                            .filter(c -> !refusedPools.contains(c.name())).toList());
            for (PoolCandidate pool : p.pools()) {
                RuntimeException refused = create(v, pool, nexus);
                if (refused == null) {
                    excluded.add(pool.node());
                    made++;
                } else {
                    refusedPools.add(pool.name());
                    refusals.add("pool " + pool.name() + " on " + pool.node() + " refused: " + refused.getMessage());
                    unanswered |= refused instanceof ControlException c && c.kind() == Reply.Kind.UNAVAILABLE
                            || refused instanceof IoEngineException e && !e.answered();
                }
            }
            if (made < count && p.complete()) {
                continue; // some pool refused; each round leaves the refusers out, so this ends
            }
            shortfall = p.complete() ? null : p.shortfall();
            break;
        }
        if (made == count) {
            shortfalls.remove(v.id());
        } else {
            String why = (shortfall == null ? "placed " + made + " of " + count + " replicas" : shortfall)
                    + (refusals.isEmpty() ? "" : "; " + String.join("; ", refusals));
            LOG.warn("volume {}: {}", v.id(), why);
            shortfalls.put(v.id(), new Shortfalls.Shortfall(why, unanswered));
        }
        return made;
    }

    /** Where {@code count} replicas of a volume of {@code spec} would go, away from the {@code excluded} nodes. */
    public Placement place(VolumeSpec spec, int count, Set<String> excluded) {
        return scheduler.placeReplicas(request(spec, count, excluded), Candidates.nodes(inventory),
                Candidates.pools(inventory));
    }

    /** Creates one replica on {@code pool} and adds it to the nexus; null when done, else why the pool refused. */
    private RuntimeException create(VolumeState v, PoolCandidate pool, Optional<NexusState> nexus) {
        String uuid = UUID.randomUUID().toString();
        ReplicaSpec spec = new ReplicaSpec(pool.name(), pool.node(), v.spec().size(), v.spec().thin(), v.id());
        entities.replica(uuid, r -> new ReplicaCommand.Create(spec, r));
        inventory.created(uuid);
        try {
            ops.await(io.createReplica(pool.node(), uuid, pool.name(), spec.size(), spec.thin()),
                    "create replica " + uuid);
        } catch (RuntimeException e) {
            LOG.warn("volume {}: replica on pool {} failed: {}", v.id(), pool.name(), e.getMessage());
            entities.replica(uuid, ReplicaCommand.Destroy::new);
            return e;
        }
        entities.volume(v.id(), r -> new VolumeCommand.AddReplica(uuid, r));
        // A nexus that is down is re-created from in-sync children only; a new replica joins it afterwards.
        if (nexus.isPresent() && inventory.nexus(nexus.get().node(), nexus.get().id()).isPresent()) {
            NexusState n = nexus.get();
            String uri = ops.childUri(entities.replica(uuid).orElseThrow(), n.node());
            Child child = new Child(uri, uuid, ChildState.DEGRADED, "new replica: rebuilding");
            entities.nexus(n.id(), r -> new NexusCommand.AddChild(child, r));
            ops.await(io.addChild(n.node(), n.id(), uri), "add child " + uri + " to nexus " + n.id());
        }
        return null;
    }

    /**
     * Removes {@code count} replicas: out-of-sync ones first, then remote ones, then those on offline nodes; the
     * newest breaks ties. The last in-sync child of a running nexus stays, whatever the count says.
     */
    void remove(VolumeState v, int count) {
        Optional<NexusState> nexus = v.published() ? entities.nexus(v.nexus()) : Optional.empty();
        Set<String> inSync = nexus.map(n -> n.children().stream().filter(Child::inSync).map(Child::replica)
                .collect(Collectors.toSet())).orElse(Set.of());
        String nexusNode = nexus.map(NexusState::node).orElse("");
        List<ReplicaState> order = new ArrayList<>(ops.states(v));
        List<String> added = v.replicas();
        order.sort(Comparator.<ReplicaState, Integer>comparing(r -> nexus.isPresent() && inSync.contains(r.id())
                        ? 1 : 0)
                .thenComparing(r -> r.spec().node().equals(nexusNode) ? 1 : 0)
                .thenComparing(r -> ops.nodeOnline(r.spec().node()) ? 1 : 0)
                .thenComparing(r -> -added.indexOf(r.id())));
        int removed = 0;
        for (ReplicaState r : order) {
            if (removed == count) {
                break;
            }
            boolean lastInSync = nexus.isPresent() && inSync.contains(r.id()) && inSync.size() == 1;
            if (!lastInSync) {
                ops.drop(v, r);
                removed++;
            }
        }
    }

    private static ReplicaRequest request(VolumeSpec spec, int count, Set<String> excluded) {
        return new ReplicaRequest(spec.size(), spec.thin(), count, spec.nodeLabels(), spec.poolLabels(), excluded);
    }
}
