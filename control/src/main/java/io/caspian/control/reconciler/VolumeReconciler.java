package io.caspian.control.reconciler;

import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.entity.volume.VolumeCommand;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.control.observed.Inventory;
import io.caspian.control.observed.IoEngineClient;
import io.caspian.control.scheduler.Scheduler;
import io.caspian.control.service.Entities;
import io.caspian.control.service.LossTimeouts;
import io.caspian.control.service.VolumeLocks;
import io.caspian.events.Health;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One pass over one volume, under its lock: the concerns in the order their results feed each other. The nexus
 * first (a failed-over or re-created nexus decides which children are faulted), then the faulted children (those
 * still waiting count towards the replica count), then the replica count, then the faulted children's retirement
 * (only once their replacements are in sync), and last the volume's health as observed. Each concern is its own
 * class with its own tests; what they keep between passes ({@link Shortfalls}, the faulted-child wait, the bus
 * grace) is rebuilt from the journal and the reports by the next pass, so any control node can take over.
 */
public final class VolumeReconciler {
    private final Entities entities;
    private final VolumeLocks locks;
    private final ReplicaOps replicas;
    private final Shortfalls shortfalls;
    private final NexusReconciler nexuses;
    private final FaultedChildReconciler faultedChildren;
    private final ReplicaCountReconciler replicaCount;
    private final VolumeHealth health;

    private VolumeReconciler(Entities entities, VolumeLocks locks, ReplicaOps replicas, Shortfalls shortfalls,
                             NexusReconciler nexuses, FaultedChildReconciler faultedChildren,
                             ReplicaCountReconciler replicaCount, VolumeHealth health) {
        this.entities = entities;
        this.locks = locks;
        this.replicas = replicas;
        this.shortfalls = shortfalls;
        this.nexuses = nexuses;
        this.faultedChildren = faultedChildren;
        this.replicaCount = replicaCount;
        this.health = health;
    }

    /**
     * {@code faultedWait}: how long a faulted child may take to come back before its replica is replaced;
     * {@code timeouts}: how long an io-engine may be Offline before the nexus it runs fails over to another node, and
     * before its replicas are faulted in every nexus that uses them and replaced (the faulted-child wait does not
     * apply on top: the node already had its time);
     * {@code consumesBus}: this plane consumes the io bus, which then carries the child and rebuild events of every
     * io-engine that publishes to it, and state reports wait {@code reportGrace} for it (see {@link ReportedChildren}).
     */
    public static VolumeReconciler create(Entities entities, Inventory inventory, IoEngineClient io,
                                          Scheduler scheduler, VolumeLocks locks, Duration ioTimeout, Clock clock,
                                          Duration faultedWait, LossTimeouts timeouts, boolean consumesBus,
                                          Duration reportGrace) {
        ReplicaOps ops = new ReplicaOps(entities, inventory, io, ioTimeout);
        Evidence evidence = new Evidence(inventory, timeouts);
        Shortfalls shortfalls = new Shortfalls();
        return new VolumeReconciler(entities, locks, ops, shortfalls,
                new NexusReconciler(entities, inventory, io, scheduler, ops, evidence, clock, consumesBus,
                        reportGrace),
                new FaultedChildReconciler(entities, inventory, io, ops, evidence,
                        new FaultedChildWait(clock, faultedWait), shortfalls),
                new ReplicaCountReconciler(entities, inventory, io, scheduler, ops, evidence, shortfalls),
                new VolumeHealth(entities, inventory, evidence));
    }

    /** Brings one volume closer to its spec; a no-op for volumes that do not exist. */
    public Optional<VolumeState> reconcile(String id) {
        return locks.locked(id, () -> entities.volume(id).map(this::reconcileLocked));
    }

    /** {@link #reconcile} for a caller that holds the volume's lock already (a user operation). */
    public VolumeState reconcileLocked(VolumeState v) {
        String id = v.id();
        ReplicaNodes nodes = new ReplicaNodes(entities);
        List<ReplicaState> states = replicas.states(v);
        nodes.know(states);
        VolumeState before = v;
        v = nexuses.reconcile(v, nodes);
        if (v != before) {
            states = replicas.states(v); // a failover or re-creation may have taken replicas out
        }
        NexusState nexus = v.published() ? entities.nexus(v.nexus()).orElse(null) : null;
        // A faulted child's replica stays until its replacement is rebuilt (the nexus keeps writing to the others).
        Map<String, Child> faulted = faultedChildren.faulted(states, nexus);
        replicaCount.dropGone(v, states, faulted.keySet());
        Map<String, Child> waiting = faultedChildren.waiting(v, nexus, faulted);
        v = existing(id);
        int missing = replicaCount.adjust(v, v.replicas().size() - faulted.size() + waiting.size());
        if (missing > 0 && faultedChildren.rebuildInPlace(v, faulted, missing) == missing) {
            shortfalls.remove(id);
        }
        faulted.keySet().removeAll(waiting.keySet());
        if (!faulted.isEmpty()) {
            faultedChildren.retire(existing(id), faulted);
        }
        faultedChildren.explainWaiting(id, waiting);
        v = existing(id);
        VolumeHealth.Status status = health.of(v, nodes);
        String reason = status.health() == Health.ONLINE ? ""
                : shortfalls.of(id).map(Shortfalls.Shortfall::why).orElse(status.reason());
        return v.status() == status.health() && v.reason().equals(reason) ? v
                : entities.volume(id, r -> new VolumeCommand.SetStatus(status.health(), reason, r));
    }

    /** Drops what is kept for a volume that is gone. */
    public void forget(String id) {
        shortfalls.remove(id);
        faultedChildren.forget(id);
    }

    /** Why the volume is short of replicas (no pool with room, ...), if it is. */
    public Optional<Shortfalls.Shortfall> shortfall(String id) {
        return shortfalls.of(id);
    }

    /** The volumes this control node last found short of replicas. */
    public Set<String> shortOfReplicas() {
        return shortfalls.volumes();
    }

    public ReplicaOps replicas() {
        return replicas;
    }

    public NexusReconciler nexuses() {
        return nexuses;
    }

    public ReplicaCountReconciler replicaCount() {
        return replicaCount;
    }

    private VolumeState existing(String id) {
        return entities.volume(id, VolumeCommand.Get::new);
    }
}
