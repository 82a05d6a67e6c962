package io.caspian.control.reconciler;

import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.control.observed.Inventory;
import io.caspian.control.observed.IoEngineClient;
import io.caspian.control.service.Entities;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.ioengine.ChildInfo;
import io.caspian.events.ioengine.NexusInfo;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of a faulted child: asked back (a partial rebuild) while it is within the faulted-child wait and
 * reachable, rebuilt in place in full when no other pool can take a replacement, and retired (its replica destroyed)
 * once the nexus has as many in-sync children as the volume wants. Never put back in sync without a rebuild.
 */
public final class FaultedChildReconciler {
    private static final Logger LOG = LoggerFactory.getLogger(FaultedChildReconciler.class);

    private final Entities entities;
    private final Inventory inventory;
    private final IoEngineClient io;
    private final ReplicaOps ops;
    private final Evidence evidence;
    private final FaultedChildWait wait;
    private final Shortfalls shortfalls;

    FaultedChildReconciler(Entities entities, Inventory inventory, IoEngineClient io, ReplicaOps ops,
                           Evidence evidence, FaultedChildWait wait, Shortfalls shortfalls) {
        this.entities = entities;
        this.inventory = inventory;
        this.io = io;
        this.ops = ops;
        this.evidence = evidence;
        this.wait = wait;
        this.shortfalls = shortfalls;
    }

    /** The replicas ({@code states}, in the volume's order) whose nexus child is faulted, each with its child. */
    Map<String, Child> faulted(List<ReplicaState> states, NexusState nexus) {
        Map<String, Child> faulted = new LinkedHashMap<>();
        if (nexus == null) {
            return faulted;
        }
        for (ReplicaState r : states) {
            nexus.children().stream().filter(x -> x.replica().equals(r.id()) && x.state() == ChildState.FAULTED)
                    .findFirst().ifPresent(c -> faulted.put(r.id(), c));
        }
        return faulted;
    }

    /**
     * The faulted children still within their wait period. While its replica is reachable, each is asked back
     * (partial rebuild from the nexus's segment map) at most every third of the period; a child that faults again
     * is asked again until the period ends, then replaced. A child whose node has been Offline for the node timeout
     * waits no longer: the node had its time.
     */
    Map<String, Child> waiting(VolumeState v, NexusState nexus, Map<String, Child> faulted) {
        Set<String> replicas = nexus == null ? Set.of() : nexus.children().stream()
                .filter(c -> c.state() == ChildState.FAULTED).map(Child::replica).collect(Collectors.toSet());
        wait.retain(v.id(), replicas);
        Map<String, Child> waiting = new LinkedHashMap<>();
        if (nexus == null) {
            return waiting;
        }
        for (Map.Entry<String, Child> e : faulted.entrySet()) {
            Child c = e.getValue();
            boolean nodeLost = entities.replica(e.getKey()).map(r -> evidence.nodeLost(r.spec().node())).orElse(false);
            if (nodeLost || !wait.waiting(v.id(), e.getKey())) {
                continue;
            }
            waiting.put(e.getKey(), c);
            if (rejoinable(e.getKey(), nexus) && wait.askBackNow(v.id(), e.getKey())) {
                rejoin(v, nexus, c, "asked back within the wait");
            }
        }
        return waiting;
    }

    /**
     * Says why the volume is short while faulted children wait, unless the replica count has a reason of its own
     * (no pool with room), which says more. Called after the replica count had its turn: it clears what it meets.
     */
    void explainWaiting(String volume, Map<String, Child> waiting) {
        if (!waiting.isEmpty()) {
            shortfalls.putIfAbsent(volume, Shortfalls.Shortfall.of("faulted " + describe(waiting)
                    + ": waiting up to " + wait.period().toSeconds() + " s for it to come back before replacing it"));
        }
    }

    /**
     * No pool elsewhere can take a replacement: faulted children the running nexus does not hold (left out when its
     * target moved or it was re-created while their node was away) whose replicas are back and healthy are rebuilt
     * in place, in full. On a cluster with as many nodes as replicas this is the only way back to full redundancy;
     * the stale data they hold is overwritten by the rebuild, never served. A child the running nexus faulted itself
     * (I/O errors) is not: it would fault again. Returns how many rejoined; they leave {@code faulted}.
     */
    int rebuildInPlace(VolumeState v, Map<String, Child> faulted, int wanted) {
        NexusState nexus = faulted.isEmpty() || !v.published() ? null : entities.nexus(v.nexus()).orElse(null);
        if (nexus == null) {
            return 0;
        }
        Set<String> held = inventory.nexus(nexus.node(), nexus.id()).map(n -> n.children().stream()
                .map(ChildInfo::uri).collect(Collectors.toSet())).orElse(Set.of());
        int rejoined = 0;
        for (Iterator<Child> it = faulted.values().iterator(); it.hasNext() && rejoined < wanted; ) {
            Child c = it.next();
            if (!held.contains(c.uri()) && rejoinable(c.replica(), nexus)
                    && rejoin(v, nexus, c, "rebuilt in place: no other pool can take its replacement")) {
                it.remove();
                rejoined++;
            }
        }
        return rejoined;
    }

    /**
     * Faulted replicas leave the volume once the nexus has as many in-sync children as the volume wants (their
     * replacements are rebuilt). Until then the volume is Degraded, and when no pool can take a replacement the
     * reason says so; the next sweep after a pool appears or frees up places it.
     */
    void retire(VolumeState v, Map<String, Child> faulted) {
        NexusState n = entities.nexus(v.nexus()).orElse(null);
        long inSync = n == null ? 0 : n.children().stream().filter(Child::inSync).count();
        if (inSync >= v.spec().replicas()) {
            for (ReplicaState r : ops.states(v)) {
                if (faulted.containsKey(r.id())) {
                    LOG.info("volume {}: replacement rebuilt; faulted replica {} on node {} leaves and is destroyed",
                            v.id(), r.id(), r.spec().node());
                    ops.drop(v, r);
                }
            }
            return;
        }
        shortfalls.of(v.id()).filter(s -> !s.why().startsWith("faulted ")).ifPresent(s -> shortfalls.put(v.id(),
                new Shortfalls.Shortfall("faulted " + describe(faulted) + " awaits a replacement: " + s.why(),
                        s.unanswered())));
    }

    /** Drops the wait kept for a volume that is gone. */
    void forget(String volume) {
        wait.forget(volume);
    }

    /**
     * Whether a faulted child's replica can take a rebuild: its node is Online, a fresh report lists it and not as
     * Faulted, the nexus runs on an Online node, and the replica's node runs no other nexus of the volume. That last
     * one is the old target after a failover: it opens its replica locally, past any fencing, and a write it still
     * had in flight could land behind the rebuild. The garbage collector destroys that stray nexus first.
     */
    private boolean rejoinable(String replica, NexusState nexus) {
        Optional<String> node = entities.replica(replica).map(r -> r.spec().node());
        return node.map(ops::nodeOnline).orElse(false)
                && inventory.replica(replica).filter(o -> o.info().status() != Health.FAULTED).isPresent()
                && ops.nodeOnline(nexus.node())
                && inventory.nexus(nexus.node(), nexus.id()).isPresent()
                && (node.get().equals(nexus.node()) || inventory.nexus(node.get(), nexus.id()).isEmpty());
    }

    /**
     * Brings a faulted child back into the nexus, never in sync: a member of the running nexus is onlined (a
     * partial rebuild from its segment map), one the nexus does not hold (left out when it was re-created or its
     * target moved) is added again (a full rebuild). Its URI is made anew for the nexus's node: the one on record
     * may be local to, or shared with, the node the target has left. True when the io-engine took it.
     */
    private boolean rejoin(VolumeState v, NexusState nexus, Child c, String why) {
        try {
            String uri = ops.childUri(entities.replica(c.replica()).orElseThrow(), nexus.node());
            if (!uri.equals(c.uri())) {
                entities.nexus(nexus.id(), r -> new NexusCommand.RemoveChild(c.uri(), r));
                entities.nexus(nexus.id(), r -> new NexusCommand.AddChild(new Child(uri, c.replica(),
                        ChildState.FAULTED, c.reason()), r));
            }
            boolean member = inventory.nexus(nexus.node(), nexus.id()).map(n -> n.children().stream()
                    .anyMatch(x -> x.uri().equals(uri))).orElse(false);
            NexusInfo info = ops.await(member ? io.onlineChild(nexus.node(), nexus.id(), uri)
                    : io.addChild(nexus.node(), nexus.id(), uri), "bring back " + uri);
            LOG.info("volume {}: faulted child {} {} ({} rebuild)", v.id(), uri, why, member ? "partial" : "full");
            info.children().stream().filter(x -> x.uri().equals(uri) && x.state() != ChildState.UNKNOWN)
                    .findFirst().ifPresent(x -> entities.nexus(nexus.id(), r -> new NexusCommand.SetChildState(
                            x.uri(), x.state(), x.reason(), r)));
            return true;
        } catch (RuntimeException ex) {
            LOG.info("volume {}: faulted child {} could not be brought back yet: {}", v.id(), c.uri(),
                    ex.getMessage());
            return false;
        }
    }

    private static String describe(Map<String, Child> children) {
        return children.values().stream().map(c -> "replica " + c.replica() + " (" + c.reason() + ")")
                .collect(Collectors.joining(", "));
    }
}
