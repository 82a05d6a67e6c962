package io.caspian.control.reconciler;

import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusSpec;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.entity.volume.VolumeCommand;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.control.observed.Inventory;
import io.caspian.control.observed.IoEngineClient;
import io.caspian.control.scheduler.Scheduler;
import io.caspian.control.service.Candidates;
import io.caspian.control.service.Entities;
import io.caspian.events.ChildState;
import io.caspian.events.ioengine.NexusInfo;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a published volume's nexus running and its journal true: fails the target over when its node is lost,
 * re-creates a nexus its io-engine lost in a restart, journals the child states the io-engine reports, and faults
 * the children there is positive evidence against. A nexus is only ever built from children the journal records as
 * in sync; every other child joins Faulted and goes through a rebuild ({@link FaultedChildReconciler}).
 */
public final class NexusReconciler {
    private static final Logger LOG = LoggerFactory.getLogger(NexusReconciler.class);

    private final Entities entities;
    private final Inventory inventory;
    private final IoEngineClient io;
    private final Scheduler scheduler;
    private final ReplicaOps ops;
    private final Evidence evidence;
    private final boolean consumesBus;
    private final BusGrace busGrace;

    /**
     * {@code consumesBus}: this plane consumes the io bus, which then carries the child and rebuild events of every
     * io-engine that publishes to it, and state reports wait {@code reportGrace} for it (see {@link ReportedChildren}).
     */
    NexusReconciler(Entities entities, Inventory inventory, IoEngineClient io, Scheduler scheduler,
                           ReplicaOps ops, Evidence evidence, Clock clock, boolean consumesBus, Duration reportGrace) {
        this.entities = entities;
        this.inventory = inventory;
        this.io = io;
        this.scheduler = scheduler;
        this.ops = ops;
        this.evidence = evidence;
        this.consumesBus = consumesBus;
        this.busGrace = new BusGrace(clock, reportGrace);
    }

    /**
     * Brings the volume's nexus in line; returns the volume read afresh when it failed the target over or re-created
     * the nexus, else {@code v} itself. A volume not published is left alone.
     */
    VolumeState reconcile(VolumeState v, ReplicaNodes nodes) {
        Optional<NexusState> nexus = v.published() ? entities.nexus(v.nexus()) : Optional.empty();
        if (nexus.isEmpty()) {
            return v;
        }
        if (evidence.targetLost(nexus.get().node())) {
            // The new nexus is in no report yet: re-creating it now, as "missing", would only repeat the create.
            failOver(v, nexus.get());
            return entities.volume(v.id(), VolumeCommand.Get::new);
        }
        Optional<NexusInfo> observed = inventory.nexus(nexus.get().node(), nexus.get().id());
        LOG.debug("volume {}: reconciling; nexus {}, observed {}", v.id(), nexus.get().children(),
                observed.map(NexusInfo::children).orElse(null));
        boolean journaled = observed.map(o -> syncChildStates(nexus.get(), o)).orElse(false);
        if (ops.nodeOnline(nexus.get().node())) {
            NexusState now = journaled ? entities.nexus(v.nexus()).orElseThrow() : nexus.get();
            if (observed.isEmpty()) {
                recreate(v, now);
                return entities.volume(v.id(), VolumeCommand.Get::new); // a replica positively gone left it
            } else {
                faultChildrenOnEvidence(now, nodes);
            }
        }
        return v;
    }

    /**
     * Journals what the nexus's io-engine reports of its children, as far as the report may lead the bus; true when
     * it journaled anything.
     */
    public boolean syncChildStates(NexusState nexus, NexusInfo observed) {
        boolean busCarriesThem = consumesBus && inventory.node(nexus.node())
                .map(o -> o.report().publishesToBus()).orElse(false);
        List<ReportedChildren.Change> shown = ReportedChildren.of(nexus, observed);
        if (busCarriesThem) {
            List<ReportedChildren.Change> now = new ArrayList<>(shown.stream().filter(ReportedChildren::leadsTheBus)
                    .toList());
            now.addAll(busGrace.due(nexus.id(), shown.stream().filter(c -> !ReportedChildren.leadsTheBus(c))
                    .toList()));
            shown = now;
        }
        for (ReportedChildren.Change c : shown) {
            entities.nexus(nexus.id(), c::command);
        }
        return !shown.isEmpty();
    }

    /** Drops what is kept for a nexus taken down. */
    public void forget(String nexus) {
        busGrace.forget(nexus);
    }

    /**
     * Faults, in the nexus, every child there is positive evidence against, and takes it out of the I/O path at once
     * rather than let every write wait for the remote side's timeout; the faulted-child rules then replace it. The
     * last in-sync child stays: the nexus would have nothing left to read from.
     */
    void faultChildrenOnEvidence(NexusState nexus, ReplicaNodes nodes) {
        long inSync = nexus.children().stream().filter(Child::inSync).count();
        for (Child c : nexus.children()) {
            if (c.state() == ChildState.FAULTED || c.inSync() && inSync <= 1) {
                continue;
            }
            String why = evidence.against(c, nodes);
            if (why == null) {
                continue;
            }
            LOG.warn("nexus {}: faulting child {}: {}", nexus.id(), c.uri(), why);
            entities.nexus(nexus.id(), x -> new NexusCommand.SetChildState(c.uri(), ChildState.FAULTED, why, x));
            ReplicaOps.ignoreUnavailable(() -> ops.await(io.removeChild(nexus.node(), nexus.id(), c.uri()),
                    "take faulted child " + c.uri() + " out of nexus " + nexus.id()));
            inSync -= c.inSync() ? 1 : 0;
        }
    }

    /**
     * The io-engine restarted and lost the nexus: re-create it from the children the journal knows to be in sync
     * and whose replicas a fresh report lists. An in-sync child whose node has not reported (unknown, offline, its
     * pool still importing) is kept, not destroyed: it is marked Faulted because the re-created nexus takes writes
     * it misses, and the faulted-child rules bring it back with a rebuild or replace it. Only a child whose replica
     * is positively gone (see {@link Evidence#lost}) leaves the volume here.
     */
    void recreate(VolumeState v, NexusState nexus) {
        List<Child> inSync = new ArrayList<>();
        List<Child> absent = new ArrayList<>();
        for (Child c : nexus.children()) {
            Optional<ReplicaState> r = entities.replica(c.replica());
            if (c.inSync() && r.isPresent() && evidence.reachable(r.get())) {
                inSync.add(c);
            } else {
                absent.add(c);
            }
        }
        if (inSync.isEmpty()) {
            LOG.error("volume {}: nexus {} is gone from node {} and no child known to be in sync is reachable; "
                    + "it stays down until one reports", v.id(), nexus.id(), nexus.node());
            return;
        }
        LOG.info("volume {}: re-creating nexus {} on node {} from {} in-sync children", v.id(), nexus.id(),
                nexus.node(), inSync.size());
        // The same incarnation on the same node (whose host identity holds the replicas' reservations): its generation.
        ops.await(io.createNexus(nexus.node(), nexus.id(), nexus.size(), inSync.stream().map(Child::uri).toList(),
                nexus.generation()), "re-create nexus " + nexus.id());
        ops.await(io.publishNexus(nexus.node(), nexus.id(), nexus.protocol(), Set.copyOf(v.hosts())),
                "re-publish nexus " + nexus.id());
        for (Child c : absent) {
            Optional<ReplicaState> r = entities.replica(c.replica());
            // Not r.map(evidence::lost): a replica with no evidence against it maps to empty, and would be dropped.
            String gone = r.isPresent() ? evidence.lost(r.get()) : "its replica entity is gone";
            if (gone != null) {
                LOG.warn("volume {}: child {} is not in the re-created nexus and {}; replacing it", v.id(), c.uri(),
                        gone);
                r.ifPresentOrElse(x -> ops.drop(v, x),
                        () -> entities.nexus(nexus.id(), x -> new NexusCommand.RemoveChild(c.uri(), x)));
            } else if (c.state() != ChildState.FAULTED) {
                String why = c.inSync() ? "not reachable when the nexus was re-created on " + nexus.node()
                        + ": it misses the writes since" : "out of sync when the nexus was lost: " + c.reason();
                entities.nexus(nexus.id(), x -> new NexusCommand.SetChildState(c.uri(), ChildState.FAULTED, why, x));
            }
        }
    }

    /**
     * The nexus's node has been Offline for the failover timeout: the target moves. The nexus is re-created on
     * another node, under the same volume NQN, from the children the journal records as in sync and whose replicas
     * a fresh report lists (never from one that may have missed an acknowledged write), and published to the same
     * hosts, one generation up, so that the replicas refuse the old incarnation's writes. Sharing each remote
     * replica to the new node closes the old node's connections to it. The other children join as Faulted (their
     * nodes are gone or they were out of sync), and the faulted-child rules replace them. With no such child
     * reachable the volume stays down until one reports: a target on stale data would be worse than none.
     */
    void failOver(VolumeState v, NexusState old) {
        List<Child> inSync = new ArrayList<>();
        List<Child> left = new ArrayList<>();
        for (Child c : old.children()) {
            Optional<ReplicaState> r = entities.replica(c.replica());
            boolean usable = c.inSync() && r.isPresent() && evidence.reachable(r.get())
                    && !r.get().spec().node().equals(old.node());
            (usable ? inSync : left).add(c);
        }
        if (inSync.isEmpty()) {
            LOG.error("volume {}: node {} running its nexus is lost and no child known to be in sync is reachable; "
                    + "the target stays down until one reports", v.id(), old.node());
            return;
        }
        Set<String> onNodes = new HashSet<>();
        inSync.forEach(c -> entities.replica(c.replica()).ifPresent(r -> onNodes.add(r.spec().node())));
        Optional<String> placed = scheduler.placeNexus(null, Candidates.nodes(inventory), onNodes);
        if (placed.isEmpty()) {
            LOG.error("volume {}: node {} running its nexus is lost and no online, uncordoned node can take it",
                    v.id(), old.node());
            return;
        }
        String target = placed.get();
        LOG.warn("volume {}: node {} running its nexus has been offline for more than the failover timeout; failing "
                + "the target over to node {} with {} in-sync children", v.id(), old.node(), target, inSync.size());
        List<Child> children = new ArrayList<>();
        for (Child c : inSync) {
            ReplicaState r = entities.replica(c.replica()).orElseThrow();
            children.add(new Child(ops.childUri(r, target), r.id(), ChildState.ONLINE, ""));
        }
        // The io-engine first, the journal after: until the journal names the new node, the old nexus is the one on
        // record, a failure here leaves nothing to undo but the half-made nexus, and the next pass tries again. A
        // nexus made there and never journaled (a crash in between) is a stray the garbage collector destroys.
        NexusInfo info;
        try {
            ops.await(io.createNexus(target, old.id(), old.size(), children.stream().map(Child::uri).toList(),
                    old.generation() + 1), "create nexus " + old.id() + " on node " + target);
            info = ops.await(io.publishNexus(target, old.id(), old.protocol(), Set.copyOf(v.hosts())),
                    "publish nexus " + old.id() + " on node " + target);
        } catch (RuntimeException e) {
            LOG.warn("volume {}: failing over to node {} failed, trying again next pass: {}", v.id(), target,
                    e.getMessage());
            ReplicaOps.ignoreUnavailable(() -> ops.await(io.destroyNexus(target, old.id()),
                    "destroy nexus " + old.id()));
            throw e;
        }
        entities.nexus(old.id(), NexusCommand.Unpublish::new);
        entities.nexus(old.id(), NexusCommand.Destroy::new);
        entities.nexus(old.id(), r -> new NexusCommand.Create(new NexusSpec(target, old.size(), v.id(), children,
                old.generation() + 1), r));
        entities.nexus(old.id(), r -> new NexusCommand.Publish(old.protocol(), info.deviceUri(), r));
        for (Child c : left) {
            String why = c.inSync() ? "not reachable when the target failed over from node " + old.node()
                    : "out of sync when the target failed over: " + c.reason();
            entities.nexus(old.id(), r -> new NexusCommand.AddChild(new Child(c.uri(), c.replica(),
                    ChildState.FAULTED, why), r));
        }
        entities.volume(v.id(), r -> new VolumeCommand.Publish(v.nexus(), target, old.protocol(), info.deviceUri(),
                v.hosts(), r));
    }
}
