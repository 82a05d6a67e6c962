package io.caspian.control.service;

import io.caspian.control.entity.Lifecycle;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusSpec;
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
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.ChildInfo;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineProtocol;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Volume operations and the per-volume reconciliation. The Volume, Replica and Nexus entities are written before
 * the io-engine acts (intent first), so a crash in between leaves something the reconciler can finish or undo.
 */
public final class VolumeService {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeService.class);

    private final Entities entities;
    private final Inventory inventory;
    private final IoEngineClient io;
    private final Scheduler scheduler;
    private final Duration ioTimeout;
    private final FaultedChildWait faultWait;
    private final LossTimeouts timeouts;
    private final boolean consumesBus;
    private final BusGrace busGrace;
    /**
     * Serializes the operations on one volume. Striped rather than one lock per volume id, so that the number of
     * locks does not grow with every volume ever created; two volumes on one stripe merely wait for each other.
     */
    private final ReentrantLock[] stripes = java.util.stream.IntStream.range(0, 64).mapToObj(i -> new ReentrantLock())
            .toArray(ReentrantLock[]::new);
    /** Why a volume has fewer replicas than it should, as of its last reconciliation (observed, not journaled). */
    private final Map<String, Shortfall> shortfalls = new ConcurrentHashMap<>();

    /**
     * Why a volume is short of replicas; {@code unanswered} when an io-engine chosen for one did not answer (hung,
     * unreachable), so that a create it fails is a 503 (try again) and not a 422 (cannot be done).
     */
    private record Shortfall(String why, boolean unanswered) {
        static Shortfall of(String why) {
            return new Shortfall(why, false);
        }
    }

    /**
     * {@code faultedWait}: how long a faulted child may take to come back before its replica is replaced;
     * {@code timeouts}: how long an io-engine may be Offline before the nexus it runs fails over to another node, and
     * before its replicas are faulted in every nexus that uses them and replaced (the faulted-child wait does not
     * apply on top: the node already had its time);
     * {@code consumesBus}: this plane consumes the io bus, which then carries the child and rebuild events of every
     * io-engine that publishes to it, and state reports wait {@code reportGrace} for it (see {@link ReportedChildren}).
     */
    public VolumeService(Entities entities, Inventory inventory, IoEngineClient io, Scheduler scheduler,
                         Duration ioTimeout, Clock clock, Duration faultedWait, LossTimeouts timeouts,
                         boolean consumesBus, Duration reportGrace) {
        this.timeouts = timeouts;
        this.consumesBus = consumesBus;
        this.busGrace = new BusGrace(clock, reportGrace);
        this.entities = entities;
        this.inventory = inventory;
        this.io = io;
        this.scheduler = scheduler;
        this.ioTimeout = ioTimeout;
        this.faultWait = new FaultedChildWait(clock, faultedWait);
    }

    // ------------------------------------------------------------------ operations

    public VolumeState create(String id, VolumeSpec spec) {
        return locked(id, () -> {
            Optional<VolumeState> existing = entities.volume(id);
            if (existing.isEmpty()) {
                String problem = spec.problem();
                if (problem != null) {
                    throw new ControlException(Reply.Kind.INVALID, "volume '" + id + "': " + problem);
                }
                Placement p = place(spec, spec.replicas(), Set.of());
                if (!p.complete()) {
                    throw new ControlException(Reply.Kind.UNPROCESSABLE, "cannot create volume '" + id + "': "
                            + p.shortfall());
                }
            }
            VolumeState v = entities.volume(id, r -> new VolumeCommand.Create(spec, r));
            VolumeState done = reconcileLocked(v);
            if (existing.isEmpty() && done.replicas().size() < spec.replicas()) {
                // Placement looked possible but the pools refused: undo, so that nothing half-made is left behind.
                Shortfall why = shortfalls.getOrDefault(id, Shortfall.of("placed " + done.replicas().size()
                        + " of " + spec.replicas() + " replicas"));
                destroyLocked(id);
                throw new ControlException(why.unanswered() ? Reply.Kind.UNAVAILABLE : Reply.Kind.UNPROCESSABLE,
                        "cannot create volume '" + id + "': " + why.why());
            }
            return done;
        });
    }

    public VolumeState setReplicaCount(String id, int replicas) {
        String problem = VolumeSpec.replicaCountProblem(replicas);
        if (problem != null) {
            // Before placing: a count past the limit is the request's fault, not a lack of room.
            throw new ControlException(Reply.Kind.INVALID, problem);
        }
        return locked(id, () -> {
            VolumeState v = existing(id);
            if (replicas > v.replicas().size() && replicas != v.spec().replicas()) {
                Placement p = place(v.spec(), replicas - v.replicas().size(), replicaNodes(v));
                if (!p.complete()) {
                    throw new ControlException(Reply.Kind.UNPROCESSABLE, "cannot scale volume '" + id + "' to "
                            + replicas + " replicas: " + p.shortfall());
                }
            }
            return reconcileLocked(entities.volume(id, r -> new VolumeCommand.SetReplicaCount(replicas, r)));
        });
    }

    public VolumeState destroy(String id) {
        return locked(id, () -> destroyLocked(id));
    }

    private VolumeState destroyLocked(String id) {
        Optional<VolumeState> found = entities.volume(id);
        if (found.isEmpty()) {
            return entities.volume(id, VolumeCommand.Destroy::new);
        }
        VolumeState v = unpublishLocked(found.get());
        for (String replica : v.replicas()) {
            entities.replica(replica).ifPresent(this::destroyReplica);
        }
        shortfalls.remove(id);
        faultWait.forget(id);
        return entities.volume(id, VolumeCommand.Destroy::new);
    }

    /**
     * Creates the nexus (on {@code node}, or the least loaded) from in-sync replicas and exports it to {@code hosts}
     * (host NQNs; empty: any host). Published already over the same protocol, it only replaces the host list.
     */
    public VolumeState publish(String id, Protocol protocol, String node, Set<String> hosts) {
        if (protocol == Protocol.NONE) {
            throw new ControlException(Reply.Kind.INVALID, "publishing needs a protocol: nvmf or nbd");
        }
        String badHost = hosts.stream().filter(h -> !validNqn(h)).findFirst().orElse(null);
        if (badHost != null) {
            throw new ControlException(Reply.Kind.INVALID, "host '" + badHost + "' is not an NVMe host NQN "
                    + "(nqn.yyyy-mm.reverse-domain:..., at most 223 bytes)");
        }
        if (protocol == Protocol.NBD && !hosts.isEmpty()) {
            throw new ControlException(Reply.Kind.INVALID, "an nbd target cannot restrict its hosts (NBD has no "
                    + "host identity); publish over nvmf to name hosts");
        }
        List<String> allowed = hosts.stream().sorted().toList();
        return locked(id, () -> {
            VolumeState v = existing(id);
            if (v.published()) {
                if (node != null && !node.isBlank() && !node.equals(v.targetNode())) {
                    // Moving a live target under a connected host is an unpublish and a publish; doing it
                    // silently here, or answering 200 while the nexus stays where it is, would mislead the caller.
                    throw new ControlException(Reply.Kind.CONFLICT, "volume '" + id + "' is published on node '"
                            + v.targetNode() + "', not on '" + node + "'; unpublish it first to move its target");
                }
                if (v.protocol() == protocol && !v.hosts().equals(allowed)) {
                    NexusState n = entities.nexus(v.nexus()).orElseThrow(() -> new ControlException(
                            Reply.Kind.UNPROCESSABLE, "volume '" + id + "' has no nexus"));
                    await(io.publishNexus(n.node(), n.id(), protocol, hosts), "publish nexus " + id + " to "
                            + allowed);
                }
                return entities.volume(id, r -> new VolumeCommand.Publish(v.nexus(), v.targetNode(), protocol,
                        v.deviceUri(), allowed, r));
            }
            List<ReplicaState> replicas = replicaStates(v);
            Set<String> onNodes = replicas.stream().map(r -> r.spec().node()).collect(Collectors.toSet());
            String target = scheduler.placeNexus(node, Candidates.nodes(inventory), onNodes)
                    .orElseThrow(() -> node == null || node.isBlank()
                            ? new ControlException(Reply.Kind.UNAVAILABLE, "no online, uncordoned node can run the "
                                    + "nexus of volume '" + id + "'")
                            : new ControlException(Reply.Kind.UNPROCESSABLE, "node '" + node + "' cannot run the "
                                    + "nexus of volume '" + id + "': it is unknown, offline or cordoned"));
            // Which replicas hold every acknowledged write: all of them if the volume was never published,
            // otherwise those the last nexus still had in sync when it was taken down.
            NexusState previous = entities.nexus(id, NexusCommand.Get::new);
            Set<String> inSync = previous.lifecycle() == Lifecycle.ABSENT ? null
                    : previous.children().stream().filter(Child::inSync).map(Child::replica)
                            .collect(Collectors.toSet());
            List<Child> online = new ArrayList<>();
            List<Child> stale = new ArrayList<>();
            for (ReplicaState r : replicas) {
                if (!inventory.node(r.spec().node()).map(Inventory.Observed::online).orElse(false)) {
                    continue;
                }
                String uri = childUri(r, target);
                if (inSync == null || inSync.contains(r.id())) {
                    online.add(new Child(uri, r.id(), ChildState.ONLINE, ""));
                } else {
                    stale.add(new Child(uri, r.id(), ChildState.DEGRADED, "out of sync: rebuilding"));
                }
            }
            if (online.isEmpty()) {
                throw new ControlException(Reply.Kind.UNAVAILABLE, "volume '" + id + "' has no reachable replica "
                        + "known to be in sync; it cannot be published");
            }
            // Each incarnation one generation up: the replicas then refuse the writes of every earlier one.
            long generation = previous.generation() + 1;
            entities.nexus(id, r -> new NexusCommand.Create(new NexusSpec(target, v.spec().size(), id, online,
                    generation), r));
            NexusInfo info;
            try {
                await(io.createNexus(target, id, v.spec().size(), online.stream().map(Child::uri).toList(),
                        generation), "create nexus " + id);
                info = await(io.publishNexus(target, id, protocol, hosts), "publish nexus " + id);
            } catch (RuntimeException e) {
                // Leave no half-made nexus behind: the volume is not published, so nothing else would remove it.
                ignoreUnavailable(() -> await(io.destroyNexus(target, id), "destroy nexus " + id));
                entities.nexus(id, NexusCommand.Destroy::new);
                throw e;
            }
            entities.nexus(id, r -> new NexusCommand.Publish(protocol, info.deviceUri(), r));
            for (Child c : stale) {
                entities.nexus(id, r -> new NexusCommand.AddChild(c, r));
                await(io.addChild(target, id, c.uri()), "add child " + c.uri());
            }
            entities.volume(id, r -> new VolumeCommand.Publish(id, target, protocol, info.deviceUri(), allowed, r));
            return reconcileLocked(existing(id));
        });
    }

    public VolumeState unpublish(String id) {
        return locked(id, () -> unpublishLocked(existing(id)));
    }

    /** Why the volume is short of replicas (no pool with room, ...), or null when it is not. */
    public String shortfall(String id) {
        Shortfall s = shortfalls.get(id);
        return s == null ? null : s.why();
    }

    /** The volumes this control node last found short of replicas. */
    public Set<String> shortOfReplicas() {
        return Set.copyOf(shortfalls.keySet());
    }

    /**
     * Arms a fault on the nexus child backed by {@code replica}, through the io-engine's error-injection device.
     *
     * @param op read, write, flush, unmap or write_zeroes
     * @param count how many I/Os fail; null for every matching I/O until cleared
     */
    public NexusState injectFault(String id, String replica, String op, long offset, long length, Long count) {
        IoEngineCommand.FaultOp faultOp = faultOp(op);
        VolumeState v = existing(id);
        if (offset < 0 || length <= 0 || offset > v.spec().size() - length) {
            throw new ControlException(Reply.Kind.INVALID, "fault range [" + offset + ", " + offset + "+" + length
                    + ") is not inside volume '" + id + "' of " + v.spec().size() + " bytes");
        }
        if (count != null && count <= 0) {
            throw new ControlException(Reply.Kind.INVALID, "fault count must be positive (omit it for \"until "
                    + "cleared\"), not " + count);
        }
        NexusState n = nexusOf(v, "inject faults into");
        Child c = childOf(v, n, replica);
        await(io.injectFault(n.node(), n.id(), c.uri(), faultOp, offset, length,
                count == null ? IoEngineCommand.UNTIL_CLEARED : count), "inject a fault on " + c.uri());
        return n;
    }

    /** The least rebuild rate cap: one 64 KiB segment every 1/16 s; below it a rebuild would hardly move. */
    public static final long MIN_REBUILD_RATE = 1L << 20;

    /**
     * Caps the copy bandwidth of the rebuilds of the volume's nexus, running and to come, at {@code bytesPerSecond}
     * (0 lifts the cap), on top of their yielding to the volume's own I/O. Held by the running nexus, as DRBD's
     * resync rate set with drbdsetup: a nexus re-created after an io-engine restart starts from the io-engine's
     * {@code rebuild-bandwidth} again.
     */
    public RebuildRateSet setRebuildRate(String id, long bytesPerSecond) {
        if (bytesPerSecond != 0 && bytesPerSecond < MIN_REBUILD_RATE) {
            throw new ControlException(Reply.Kind.INVALID, "a rebuild rate is 0 (no cap) or at least "
                    + MIN_REBUILD_RATE + " bytes per second (1 MiB/s), not " + bytesPerSecond);
        }
        NexusState n = nexusOf(existing(id), "set a rebuild rate on");
        NexusInfo info = await(io.setRebuildRate(n.node(), n.id(), bytesPerSecond), "set the rebuild rate of nexus "
                + n.id());
        return new RebuildRateSet(n, info);
    }

    /** A nexus given a rebuild rate cap, and what its io-engine answered (its reports may lag). */
    public record RebuildRateSet(NexusState nexus, NexusInfo answer) {
    }

    /** Removes every fault injected on the nexus child backed by {@code replica}. */
    public NexusState clearFaults(String id, String replica) {
        VolumeState v = existing(id);
        NexusState n = nexusOf(v, "clear faults of");
        Child c = childOf(v, n, replica);
        await(io.clearFaults(n.node(), n.id(), c.uri()), "clear the faults of " + c.uri());
        return n;
    }

    private static IoEngineCommand.FaultOp faultOp(String op) {
        try {
            return IoEngineCommand.FaultOp.valueOf(String.valueOf(op).toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ControlException(Reply.Kind.INVALID, "fault op must be one of read, write, flush, unmap, "
                    + "write_zeroes, not '" + op + "'");
        }
    }

    private NexusState nexusOf(VolumeState v, String purpose) {
        if (!v.published()) {
            throw new ControlException(Reply.Kind.UNPROCESSABLE, "volume '" + v.id() + "' is not published: it has "
                    + "no nexus to " + purpose);
        }
        return entities.nexus(v.nexus()).orElseThrow(() -> new ControlException(Reply.Kind.UNPROCESSABLE,
                "volume '" + v.id() + "' has no nexus"));
    }

    private static Child childOf(VolumeState v, NexusState n, String replica) {
        return n.children().stream().filter(x -> x.replica().equals(replica)).findFirst()
                .orElseThrow(() -> new ControlException(Reply.Kind.NOT_FOUND, "replica '" + replica
                        + "' is not a child of the nexus of volume '" + v.id() + "'"));
    }

    /** Brings one volume closer to its spec; a no-op for volumes that do not exist. */
    public Optional<VolumeState> reconcile(String id) {
        return locked(id, () -> entities.volume(id).map(this::reconcileLocked));
    }

    /**
     * Destroys a nexus an io-engine runs where the journal has none: its target failed over while the node was away,
     * or a crash came between making it and journaling it. The evidence is the journal's, read again under the
     * volume's lock (a nexus id is its volume's id), and the node's fresh report; the data is on the replicas.
     */
    public void destroyStrayNexus(String node, String nexus) {
        locked(nexus, () -> {
            boolean onRecordHere = entities.nexus(nexus).filter(n -> n.node().equals(node)).isPresent();
            if (!onRecordHere && nodeOnline(node) && inventory.nexus(node, nexus).isPresent()) {
                LOG.warn("destroying stray nexus {} on node {}: the journal has it {}", nexus, node,
                        entities.nexus(nexus).map(n -> "on node " + n.node()).orElse("nowhere"));
                ignoreUnavailable(() -> await(io.destroyNexus(node, nexus), "destroy stray nexus " + nexus));
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ reconciliation

    private VolumeState reconcileLocked(VolumeState v) {
        String id = v.id();
        if (v.published()) {
            Optional<NexusState> lostTarget = entities.nexus(v.nexus())
                    .filter(n -> inventory.offlineFor(n.node(), timeouts.failover()));
            if (lostTarget.isPresent()) {
                failOver(v, lostTarget.get());
                v = existing(id);
            }
        }
        Optional<NexusState> nexus = v.published() ? entities.nexus(v.nexus()) : Optional.empty();
        Optional<NexusInfo> observedNexus = nexus.flatMap(n -> inventory.nexus(n.node(), n.id()));
        LOG.debug("volume {}: reconciling; nexus {}, observed {}", id, nexus.map(NexusState::children).orElse(null),
                observedNexus.map(NexusInfo::children).orElse(null));
        if (nexus.isPresent() && observedNexus.isPresent()) {
            syncChildStates(nexus.get(), observedNexus.get());
        }
        boolean nexusNodeOnline = nexus.map(n -> nodeOnline(n.node())).orElse(false);
        if (nexus.isPresent() && nexusNodeOnline && observedNexus.isEmpty()) {
            recreateNexus(v, entities.nexus(v.nexus()).orElseThrow());
        }
        if (nexus.isPresent() && nexusNodeOnline && observedNexus.isPresent()) {
            faultChildrenOnEvidence(entities.nexus(v.nexus()).orElseThrow());
        }
        NexusState current = nexus.flatMap(n -> entities.nexus(n.id())).orElse(null);
        // A faulted child's replica stays until its replacement is rebuilt (the nexus keeps writing to the others).
        Map<String, Child> faulted = new java.util.LinkedHashMap<>();
        for (ReplicaState r : replicaStates(v)) {
            Child fc = faultedChild(r, current);
            if (fc != null) {
                faulted.put(r.id(), fc);
                continue;
            }
            String why = lost(r, current);
            if (why != null) {
                LOG.warn("volume {}: replica {} on node {} is lost ({}); replacing it", id, r.id(), r.spec().node(),
                        why);
                dropReplica(v, r);
            }
        }
        // Replicas whose entity vanished (a crash between the two writes) leave the volume too.
        for (String replica : existing(id).replicas()) {
            if (entities.replica(replica).isEmpty()) {
                entities.volume(id, r -> new VolumeCommand.RemoveReplica(replica, r));
            }
        }
        Map<String, Child> waiting = waitForFaulted(v, current, faulted);
        v = existing(id);
        int have = v.replicas().size() - faulted.size() + waiting.size();
        int want = v.spec().replicas();
        if (have < want) {
            int missing = want - have - addReplicas(v, want - have);
            if (missing > 0 && rebuildInPlace(v, faulted, missing) == missing) {
                shortfalls.remove(id);
            }
        } else {
            shortfalls.remove(id);
        }
        if (have > want) {
            removeReplicas(v, have - want);
        }
        faulted.keySet().removeAll(waiting.keySet());
        if (!faulted.isEmpty()) {
            retireFaulted(existing(id), faulted);
        }
        if (!waiting.isEmpty() && !shortfalls.containsKey(id)) {
            shortfalls.put(id, Shortfall.of("faulted " + waiting.values().stream().map(c -> "replica "
                    + c.replica() + " (" + c.reason() + ")").collect(Collectors.joining(", ")) + ": waiting up to "
                    + faultWait.period().toSeconds() + " s for it to come back before replacing it"));
        }
        v = existing(id);
        Status status = health(v);
        String shortfall = shortfall(id);
        String reason = status.health() == Health.ONLINE ? "" : shortfall != null ? shortfall : status.reason();
        return v.status() == status.health() && v.reason().equals(reason) ? v
                : entities.volume(id, r -> new VolumeCommand.SetStatus(status.health(), reason, r));
    }

    /** A volume's health and, when it is not Online, why. */
    private record Status(Health health, String reason) {
    }

    /**
     * Faulted replicas leave the volume once the nexus has as many in-sync children as the volume wants (their
     * replacements are rebuilt). Until then the volume is Degraded, and when no pool can take a replacement the
     * reason says so; the next sweep after a pool appears or frees up places it.
     */
    private void retireFaulted(VolumeState v, Map<String, Child> faulted) {
        NexusState n = entities.nexus(v.nexus()).orElse(null);
        long inSync = n == null ? 0 : n.children().stream().filter(Child::inSync).count();
        if (inSync >= v.spec().replicas()) {
            for (ReplicaState r : replicaStates(v)) {
                if (faulted.containsKey(r.id())) {
                    LOG.info("volume {}: replacement rebuilt; faulted replica {} on node {} leaves and is destroyed",
                            v.id(), r.id(), r.spec().node());
                    dropReplica(v, r);
                }
            }
            return;
        }
        Shortfall shortfall = shortfalls.get(v.id());
        if (shortfall != null && !shortfall.why().startsWith("faulted ")) {
            shortfalls.put(v.id(), new Shortfall("faulted " + faulted.values().stream().map(c -> "replica "
                    + c.replica() + " (" + c.reason() + ")").collect(Collectors.joining(", "))
                    + " awaits a replacement: " + shortfall.why(), shortfall.unanswered()));
        }
    }

    /**
     * The faulted children still within their wait period. While its replica is reachable, each is asked back
     * (partial rebuild from the nexus's segment map) at most every third of the period; a child that faults again
     * is asked again until the period ends, then replaced. A child whose node has been Offline for the node timeout
     * waits no longer: the node had its time.
     */
    private Map<String, Child> waitForFaulted(VolumeState v, NexusState nexus, Map<String, Child> faulted) {
        Set<String> replicas = nexus == null ? Set.of() : nexus.children().stream()
                .filter(c -> c.state() == ChildState.FAULTED).map(Child::replica).collect(Collectors.toSet());
        faultWait.retain(v.id(), replicas);
        Map<String, Child> waiting = new java.util.LinkedHashMap<>();
        if (nexus == null) {
            return waiting;
        }
        for (Map.Entry<String, Child> e : faulted.entrySet()) {
            Child c = e.getValue();
            boolean nodeLost = entities.replica(e.getKey()).map(r -> nodeLost(r.spec().node())).orElse(false);
            if (nodeLost || !faultWait.waiting(v.id(), e.getKey())) {
                continue;
            }
            waiting.put(e.getKey(), c);
            if (rejoinable(e.getKey(), nexus) && faultWait.askBackNow(v.id(), e.getKey())) {
                rejoin(v, nexus, c, "asked back within the wait");
            }
        }
        return waiting;
    }

    /**
     * Whether a faulted child's replica can take a rebuild: its node is Online, a fresh report lists it and not as
     * Faulted, the nexus runs on an Online node, and the replica's node runs no other nexus of the volume. That last
     * one is the old target after a failover: it opens its replica locally, past any fencing, and a write it still
     * had in flight could land behind the rebuild. The stray-nexus sweep destroys it first.
     */
    private boolean rejoinable(String replica, NexusState nexus) {
        Optional<String> node = entities.replica(replica).map(r -> r.spec().node());
        return node.map(this::nodeOnline).orElse(false)
                && inventory.replica(replica).filter(o -> o.info().status() != Health.FAULTED).isPresent()
                && nodeOnline(nexus.node())
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
            String uri = childUri(entities.replica(c.replica()).orElseThrow(), nexus.node());
            if (!uri.equals(c.uri())) {
                entities.nexus(nexus.id(), r -> new NexusCommand.RemoveChild(c.uri(), r));
                entities.nexus(nexus.id(), r -> new NexusCommand.AddChild(new Child(uri, c.replica(),
                        ChildState.FAULTED, c.reason()), r));
            }
            boolean member = inventory.nexus(nexus.node(), nexus.id()).map(n -> n.children().stream()
                    .anyMatch(x -> x.uri().equals(uri))).orElse(false);
            NexusInfo info = await(member ? io.onlineChild(nexus.node(), nexus.id(), uri)
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

    /**
     * No pool elsewhere can take a replacement: faulted children the running nexus does not hold (left out when its
     * target moved or it was re-created while their node was away) whose replicas are back and healthy are rebuilt
     * in place, in full. On a cluster with as many nodes as replicas this is the only way back to full redundancy;
     * the stale data they hold is overwritten by the rebuild, never served. A child the running nexus faulted itself
     * (I/O errors) is not: it would fault again. Returns how many rejoined; they leave {@code faulted}.
     */
    private int rebuildInPlace(VolumeState v, Map<String, Child> faulted, int wanted) {
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

    /** The nexus child backed by {@code r} if it is faulted, else null. */
    private static Child faultedChild(ReplicaState r, NexusState nexus) {
        if (nexus == null) {
            return null;
        }
        Child c = nexus.children().stream().filter(x -> x.replica().equals(r.id())).findFirst().orElse(null);
        return c != null && c.state() == ChildState.FAULTED ? c : null;
    }

    /**
     * Why this replica can no longer be counted on, or null. Only positive evidence counts: a fresh report of its
     * node (see {@link Inventory}) in which its pool is open and Online and does not list it. An offline node, an
     * unknown node, a stale report or a pool still importing are no reason: the replica may be there.
     */
    private String lost(ReplicaState r, NexusState nexus) {
        if (!nodeOnline(r.spec().node()) || inventory.recentlyCreated(r.id())) {
            return null;
        }
        boolean poolOnline = inventory.poolOnline(r.spec().node(), r.spec().pool());
        boolean replicaThere = inventory.replica(r.id()).isPresent();
        return poolOnline && !replicaThere ? "its pool " + r.spec().pool() + " no longer holds it" : null;
    }

    /** Whether a fresh report of the replica's node lists it (a stale or missing report proves nothing). */
    private boolean reachable(ReplicaState r) {
        return nodeOnline(r.spec().node()) && inventory.replica(r.id()).isPresent();
    }

    /** Journals what the nexus's io-engine reports of its children, as far as the report may lead the bus. */
    private void syncChildStates(NexusState nexus, NexusInfo observed) {
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
    }

    /**
     * Faults, in the nexus, every child there is positive evidence against, and takes it out of the I/O path at once
     * rather than let every write wait for the remote side's timeout; the faulted-child rules then replace it. The
     * last in-sync child stays: the nexus would have nothing left to read from.
     */
    private void faultChildrenOnEvidence(NexusState nexus) {
        long inSync = nexus.children().stream().filter(Child::inSync).count();
        for (Child c : nexus.children()) {
            if (c.state() == ChildState.FAULTED || c.inSync() && inSync <= 1) {
                continue;
            }
            String why = evidenceAgainst(c);
            if (why == null) {
                continue;
            }
            LOG.warn("nexus {}: faulting child {}: {}", nexus.id(), c.uri(), why);
            entities.nexus(nexus.id(), x -> new NexusCommand.SetChildState(c.uri(), ChildState.FAULTED, why, x));
            ignoreUnavailable(() -> await(io.removeChild(nexus.node(), nexus.id(), c.uri()),
                    "take faulted child " + c.uri() + " out of nexus " + nexus.id()));
            inSync -= c.inSync() ? 1 : 0;
        }
    }

    /**
     * Why a child cannot keep up, or null: its replica's own io-engine reports it Faulted (its pool's disk failed),
     * or its io-engine has been Offline for the node timeout. A child on an Offline node that no I/O touched would
     * otherwise stay Online in the nexus, and the volume with it, for as long as the node stays away.
     */
    private String evidenceAgainst(Child c) {
        Optional<Inventory.On<ReplicaInfo>> faulted = inventory.replica(c.replica())
                .filter(o -> nodeOnline(o.node()) && o.info().status() == Health.FAULTED);
        if (faulted.isPresent()) {
            return "replica " + c.replica() + " is Faulted on node " + faulted.get().node() + " (pool "
                    + faulted.get().info().pool() + " " + inventory.pool(faulted.get().node(),
                    faulted.get().info().pool()).map(PoolInfo::status).orElse(Health.UNKNOWN) + ")";
        }
        return entities.replica(c.replica()).map(r -> r.spec().node()).filter(this::nodeLost)
                .map(node -> "node " + node + " has been offline for more than the node timeout ("
                        + timeouts.node().toSeconds() + " s)").orElse(null);
    }

    /** Whether the replica's node is Offline (positive evidence it is gone), however briefly. */
    private boolean replicaNodeOffline(String replica) {
        return entities.replica(replica).flatMap(r -> inventory.node(r.spec().node()))
                .map(o -> o.health() == Inventory.NodeHealth.OFFLINE).orElse(false);
    }

    /** Whether the node has been Offline for the node timeout: its replicas are given up on. */
    private boolean nodeLost(String node) {
        return inventory.offlineFor(node, timeouts.node());
    }

    /**
     * The io-engine restarted and lost the nexus: re-create it from the children the journal knows to be in sync
     * and whose replicas a fresh report lists. An in-sync child whose node has not reported (unknown, offline, its
     * pool still importing) is kept, not destroyed: it is marked Faulted because the re-created nexus takes writes
     * it misses, and the faulted-child rules bring it back with a rebuild or replace it. Only a child whose replica
     * is positively gone (see {@link #lost}) leaves the volume here.
     */
    private void recreateNexus(VolumeState v, NexusState nexus) {
        List<Child> inSync = new ArrayList<>();
        List<Child> absent = new ArrayList<>();
        for (Child c : nexus.children()) {
            Optional<ReplicaState> r = entities.replica(c.replica());
            if (c.inSync() && r.isPresent() && reachable(r.get())) {
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
        await(io.createNexus(nexus.node(), nexus.id(), nexus.size(), inSync.stream().map(Child::uri).toList(),
                nexus.generation()),
                "re-create nexus " + nexus.id());
        await(io.publishNexus(nexus.node(), nexus.id(), nexus.protocol(), Set.copyOf(v.hosts())),
                "re-publish nexus " + nexus.id());
        for (Child c : absent) {
            Optional<ReplicaState> r = entities.replica(c.replica());
            String gone = r.map(x -> lost(x, nexus)).orElse("its replica entity is gone");
            if (gone != null) {
                LOG.warn("volume {}: child {} is not in the re-created nexus and {}; replacing it", v.id(), c.uri(),
                        gone);
                r.ifPresentOrElse(x -> dropReplica(v, x),
                        () -> entities.nexus(nexus.id(), x -> new NexusCommand.RemoveChild(c.uri(), x)));
            } else if (c.state() != ChildState.FAULTED) {
                String why = c.inSync() ? "not reachable when the nexus was re-created on " + nexus.node()
                        + ": it misses the writes since" : "out of sync when the nexus was lost: " + c.reason();
                entities.nexus(nexus.id(), x -> new NexusCommand.SetChildState(c.uri(), ChildState.FAULTED, why, x));
            }
        }
    }

    /**
     * The nexus's node has been Offline for the node timeout: the target moves. The nexus is re-created on another
     * node, under the same volume NQN, from the children the journal records as in sync and whose replicas a fresh
     * report lists (never from one that may have missed an acknowledged write), and published to the same hosts.
     * Sharing each remote replica to the new node closes the old node's connections to it, so an old nexus that
     * comes back cannot write through them. The other children join as Faulted (their nodes are gone or they were
     * out of sync), and the faulted-child rules replace them. With no such child reachable the volume stays down
     * until one reports: a target on stale data would be worse than none.
     */
    private void failOver(VolumeState v, NexusState old) {
        List<Child> inSync = new ArrayList<>();
        List<Child> left = new ArrayList<>();
        for (Child c : old.children()) {
            Optional<ReplicaState> r = entities.replica(c.replica());
            boolean usable = c.inSync() && r.isPresent() && reachable(r.get())
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
        LOG.warn("volume {}: node {} running its nexus has been offline for more than the node timeout; failing "
                + "the target over to node {} with {} in-sync children", v.id(), old.node(), target, inSync.size());
        List<Child> children = new ArrayList<>();
        for (Child c : inSync) {
            ReplicaState r = entities.replica(c.replica()).orElseThrow();
            children.add(new Child(childUri(r, target), r.id(), ChildState.ONLINE, ""));
        }
        // The io-engine first, the journal after: until the journal names the new node, the old nexus is the one on
        // record, a failure here leaves nothing to undo but the half-made nexus, and the next pass tries again. A
        // nexus made there and never journaled (a crash in between) is an orphan the sweep destroys.
        NexusInfo info;
        try {
            await(io.createNexus(target, old.id(), old.size(), children.stream().map(Child::uri).toList(),
                    old.generation() + 1), "create nexus " + old.id() + " on node " + target);
            info = await(io.publishNexus(target, old.id(), old.protocol(), Set.copyOf(v.hosts())),
                    "publish nexus " + old.id() + " on node " + target);
        } catch (RuntimeException e) {
            LOG.warn("volume {}: failing over to node {} failed, trying again next pass: {}", v.id(), target,
                    e.getMessage());
            ignoreUnavailable(() -> await(io.destroyNexus(target, old.id()), "destroy nexus " + old.id()));
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

    /**
     * Places and creates {@code count} more replicas. A pool that refuses (its disk failed, it filled up since its
     * last report) is skipped and the next best one tried; what could not be placed, and every refusal, is the
     * volume's shortfall. Returns how many were made.
     */
    private int addReplicas(VolumeState v, int count) {
        Set<String> excluded = new HashSet<>(replicaNodes(v));
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
                RuntimeException refused = createReplica(v, pool, nexus);
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
            shortfalls.put(v.id(), new Shortfall(why, unanswered));
        }
        return made;
    }

    /** Creates one replica on {@code pool} and adds it to the nexus; null when done, else why the pool refused. */
    private RuntimeException createReplica(VolumeState v, PoolCandidate pool, Optional<NexusState> nexus) {
        String uuid = UUID.randomUUID().toString();
        ReplicaSpec spec = new ReplicaSpec(pool.name(), pool.node(), v.spec().size(), v.spec().thin(), v.id());
        entities.replica(uuid, r -> new ReplicaCommand.Create(spec, r));
        inventory.created(uuid);
        try {
            await(io.createReplica(pool.node(), uuid, pool.name(), spec.size(), spec.thin()), "create replica " + uuid);
        } catch (RuntimeException e) {
            LOG.warn("volume {}: replica on pool {} failed: {}", v.id(), pool.name(), e.getMessage());
            entities.replica(uuid, ReplicaCommand.Destroy::new);
            return e;
        }
        entities.volume(v.id(), r -> new VolumeCommand.AddReplica(uuid, r));
        // A nexus that is down is re-created from in-sync children only; a new replica joins it afterwards.
        if (nexus.isPresent() && inventory.nexus(nexus.get().node(), nexus.get().id()).isPresent()) {
            NexusState n = nexus.get();
            String uri = childUri(entities.replica(uuid).orElseThrow(), n.node());
            Child child = new Child(uri, uuid, ChildState.DEGRADED, "new replica: rebuilding");
            entities.nexus(n.id(), r -> new NexusCommand.AddChild(child, r));
            await(io.addChild(n.node(), n.id(), uri), "add child " + uri + " to nexus " + n.id());
        }
        return null;
    }

    private void removeReplicas(VolumeState v, int count) {
        Optional<NexusState> nexus = v.published() ? entities.nexus(v.nexus()) : Optional.empty();
        Set<String> inSync = nexus.map(n -> n.children().stream().filter(Child::inSync).map(Child::replica)
                .collect(Collectors.toSet())).orElse(Set.of());
        String nexusNode = nexus.map(NexusState::node).orElse("");
        // Out-of-sync replicas go first, then remote ones, then those on offline nodes; the newest breaks ties.
        List<ReplicaState> order = new ArrayList<>(replicaStates(v));
        List<String> added = v.replicas();
        order.sort(Comparator.<ReplicaState, Integer>comparing(r -> nexus.isPresent() && inSync.contains(r.id()) ? 1 : 0)
                .thenComparing(r -> r.spec().node().equals(nexusNode) ? 1 : 0)
                .thenComparing(r -> nodeOnline(r.spec().node()) ? 1 : 0)
                .thenComparing(r -> -added.indexOf(r.id())));
        int removed = 0;
        for (ReplicaState r : order) {
            if (removed == count) {
                break;
            }
            boolean lastInSync = nexus.isPresent() && inSync.contains(r.id()) && inSync.size() == 1;
            if (!lastInSync) {
                dropReplica(v, r);
                removed++;
            }
        }
    }

    /** Takes a replica out of the volume: out of its nexus, off its io-engine, out of the journal. */
    private void dropReplica(VolumeState v, ReplicaState r) {
        if (v.published()) {
            entities.nexus(v.nexus()).ifPresent(n -> {
                Child c = n.children().stream().filter(x -> x.replica().equals(r.id())).findFirst().orElse(null);
                if (c != null) {
                    if (nodeOnline(n.node()) && inventory.nexus(n.node(), n.id()).isPresent()) {
                        ignoreUnavailable(() -> await(io.removeChild(n.node(), n.id(), c.uri()), "remove child"));
                    }
                    entities.nexus(n.id(), x -> new NexusCommand.RemoveChild(c.uri(), x));
                }
            });
        }
        destroyReplica(r);
        entities.volume(v.id(), x -> new VolumeCommand.RemoveReplica(r.id(), x));
    }

    /** Destroys a replica on its io-engine if reachable (the orphan sweep finishes the job otherwise). */
    private void destroyReplica(ReplicaState r) {
        // A pool that is not Online cannot record the change (a failed metadata write faults it until imported):
        // leave the replica there; once the pool is back, the orphan sweep destroys it on this entity's evidence.
        boolean poolOnline = inventory.poolOnline(r.spec().node(), r.spec().pool());
        if (poolOnline) {
            ignoreUnavailable(() -> await(io.destroyReplica(r.spec().node(), r.id(), r.spec().pool()),
                    "destroy replica " + r.id()));
        }
        entities.replica(r.id(), ReplicaCommand.Destroy::new);
    }

    private VolumeState unpublishLocked(VolumeState v) {
        if (!v.published()) {
            return v;
        }
        Optional<NexusState> nexus = entities.nexus(v.nexus());
        if (nexus.isPresent()) {
            NexusState n = nexus.get();
            inventory.nexus(n.node(), n.id()).ifPresent(observed -> syncChildStates(n, observed));
            if (nodeOnline(n.node())) {
                await(io.destroyNexus(n.node(), n.id()), "destroy nexus " + n.id());
            } else if (inventory.node(n.node()).isPresent()) {
                throw new ControlException(Reply.Kind.UNAVAILABLE, "node '" + n.node() + "' running the nexus of "
                        + "volume '" + v.id() + "' is offline; cannot take the target down");
            }
            entities.nexus(n.id(), NexusCommand.Unpublish::new);
            entities.nexus(n.id(), NexusCommand.Destroy::new);
            busGrace.forget(n.id());
        }
        return entities.volume(v.id(), VolumeCommand.Unpublish::new);
    }

    private Status health(VolumeState v) {
        int want = v.spec().replicas();
        long good;
        String missing;
        if (v.published()) {
            Optional<NexusState> n = entities.nexus(v.nexus());
            Optional<NexusInfo> observed = n.flatMap(x -> inventory.nexus(x.node(), x.id()));
            if (observed.isEmpty()) {
                String node = n.map(NexusState::node).orElse(v.targetNode());
                return new Status(Health.FAULTED, "its nexus is not running on node " + node + " (node "
                        + inventory.describe(node) + ")");
            }
            // A child the nexus still calls Online on a node known to be gone is not counted on: no I/O may have
            // touched it since, and the volume must not say Online until the node timeout replaces it.
            Set<String> gone = n.map(x -> x.children().stream().filter(c -> replicaNodeOffline(c.replica()))
                    .map(Child::uri).collect(Collectors.toSet())).orElse(Set.of());
            good = observed.get().children().stream()
                    .filter(c -> c.state() == ChildState.ONLINE && !gone.contains(c.uri())).count();
            missing = observed.get().children().stream()
                    .filter(c -> c.state() != ChildState.ONLINE || gone.contains(c.uri()))
                    .map(c -> c.uri() + " " + (gone.contains(c.uri()) ? "on an offline node" : c.state()
                            + (c.reason().isEmpty() ? "" : " (" + c.reason() + ")")))
                    .collect(Collectors.joining(", "));
        } else {
            List<String> bad = new ArrayList<>();
            good = 0;
            for (String r : v.replicas()) {
                Optional<Inventory.On<ReplicaInfo>> o = inventory.replica(r);
                if (o.isPresent() && nodeOnline(o.get().node()) && o.get().info().status() != Health.FAULTED) {
                    good++;
                } else {
                    bad.add("replica " + r + (o.isEmpty() ? " not reported" : " on node " + o.get().node() + " "
                            + o.get().info().status() + ", node " + inventory.describe(o.get().node())));
                }
            }
            missing = String.join(", ", bad);
        }
        if (good == 0) {
            return new Status(Health.FAULTED, "no replica is usable" + (missing.isEmpty() ? "" : ": " + missing));
        }
        return good >= want ? new Status(Health.ONLINE, "") : new Status(Health.DEGRADED, good + " of " + want
                + " replicas in sync" + (missing.isEmpty() ? "" : "; not in sync: " + missing));
    }

    // ------------------------------------------------------------------ helpers

    /**
     * How the nexus on {@code nexusNode} reaches replica {@code r}. A remote replica is shared to that node's host
     * NQN only, every time: shared already, the share may still admit the node of an earlier nexus, and sharing
     * again with the new host replaces the list (and disconnects the old node). A local replica that an earlier
     * nexus elsewhere reached over NVMe/TCP is narrowed the same way: opened locally, its share would otherwise
     * still admit that node (a failed-over nexus resumed after SIGSTOP overwrote a block through it).
     */
    private String childUri(ReplicaState r, String nexusNode) {
        if (r.spec().node().equals(nexusNode)) {
            if (r.share() == Protocol.NVMF) {
                await(io.shareReplica(nexusNode, r.id(), Protocol.NVMF, Set.of(IoEngineProtocol.hostNqn(nexusNode))),
                        "narrow the share of replica " + r.id() + " to node " + nexusNode);
            }
            return "bdev:///" + r.id();
        }
        ReplicaInfo shared = await(io.shareReplica(r.spec().node(), r.id(), Protocol.NVMF,
                Set.of(IoEngineProtocol.hostNqn(nexusNode))), "share replica " + r.id() + " to node " + nexusNode);
        if (r.share() != Protocol.NVMF || !r.uri().equals(shared.uri())) {
            entities.replica(r.id(), x -> new ReplicaCommand.Share(Protocol.NVMF, shared.uri(), x));
        }
        return shared.uri();
    }

    /** The shape of an NVMe Qualified Name (NVMe base spec, 4.5): checked here so a typo is a 400, not a lockout. */
    private static boolean validNqn(String nqn) {
        return nqn != null && nqn.matches("nqn\\.\\d{4}-\\d{2}\\.[^:\\s]+:\\S+")
                && nqn.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 223;
    }

    private Placement place(VolumeSpec spec, int count, Set<String> excluded) {
        return scheduler.placeReplicas(request(spec, count, excluded), Candidates.nodes(inventory),
                Candidates.pools(inventory));
    }

    private static ReplicaRequest request(VolumeSpec spec, int count, Set<String> excluded) {
        return new ReplicaRequest(spec.size(), spec.thin(), count, spec.nodeLabels(), spec.poolLabels(), excluded);
    }

    private Set<String> replicaNodes(VolumeState v) {
        Set<String> nodes = new HashSet<>();
        replicaStates(v).forEach(r -> nodes.add(r.spec().node()));
        return nodes;
    }

    private List<ReplicaState> replicaStates(VolumeState v) {
        return v.replicas().stream().map(entities::replica).flatMap(Optional::stream).toList();
    }

    private boolean nodeOnline(String node) {
        return inventory.node(node).map(Inventory.Observed::online).orElse(false);
    }

    private VolumeState existing(String id) {
        return entities.volume(id, VolumeCommand.Get::new);
    }

    private <T> T await(java.util.concurrent.CompletionStage<T> stage, String what) {
        return Await.result(stage, ioTimeout.plusSeconds(1), what);
    }

    private static void ignoreUnavailable(Runnable r) {
        try {
            r.run();
        } catch (IoEngineException e) {
            if (e.kind() != FailureKind.UNAVAILABLE) {
                throw e;
            }
        }
    }

    private <T> T locked(String id, Supplier<T> op) {
        ReentrantLock lock = stripes[Math.floorMod(id.hashCode(), stripes.length)];
        lock.lock();
        try {
            return op.get();
        } finally {
            lock.unlock();
        }
    }
}
