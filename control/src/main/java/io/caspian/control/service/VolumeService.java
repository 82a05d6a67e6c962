package io.caspian.control.service;

import io.caspian.control.entity.Lifecycle;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusSpec;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.entity.volume.VolumeCommand;
import io.caspian.control.entity.volume.VolumeSpec;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.control.observed.Inventory;
import io.caspian.control.observed.IoEngineClient;
import io.caspian.control.reconciler.ReplicaOps;
import io.caspian.control.reconciler.Shortfalls;
import io.caspian.control.reconciler.VolumeReconciler;
import io.caspian.control.scheduler.Placement;
import io.caspian.control.scheduler.Scheduler;
import io.caspian.events.ChildState;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.NexusInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * A user's volume operations. The Volume, Replica and Nexus entities are written before the io-engine acts (intent
 * first), so a crash in between leaves something the reconcilers can finish or undo; each operation ends with the
 * volume's reconciliation pass ({@link VolumeReconciler}), under the same lock.
 */
public final class VolumeService {
    private final Entities entities;
    private final Inventory inventory;
    private final IoEngineClient io;
    private final Scheduler scheduler;
    private final VolumeLocks locks;
    private final VolumeReconciler reconciler;
    private final ReplicaOps ops;

    /** {@code reconciler}: the per-volume pass each operation ends with, under the same {@code locks}. */
    public VolumeService(Entities entities, Inventory inventory, IoEngineClient io, Scheduler scheduler,
                         VolumeLocks locks, VolumeReconciler reconciler) {
        this.entities = entities;
        this.inventory = inventory;
        this.io = io;
        this.scheduler = scheduler;
        this.locks = locks;
        this.reconciler = reconciler;
        this.ops = reconciler.replicas();
    }

    // ------------------------------------------------------------------ operations

    public VolumeState create(String id, VolumeSpec spec) {
        return locks.locked(id, () -> {
            Optional<VolumeState> existing = entities.volume(id);
            if (existing.isEmpty()) {
                String problem = spec.problem();
                if (problem != null) {
                    throw new ControlException(Reply.Kind.INVALID, "volume '" + id + "': " + problem);
                }
                Placement p = reconciler.replicaCount().place(spec, spec.replicas(), Set.of());
                if (!p.complete()) {
                    throw new ControlException(Reply.Kind.UNPROCESSABLE, "cannot create volume '" + id + "': "
                            + p.shortfall());
                }
            }
            VolumeState v = entities.volume(id, r -> new VolumeCommand.Create(spec, r));
            VolumeState done = reconciler.reconcileLocked(v);
            if (existing.isEmpty() && done.replicas().size() < spec.replicas()) {
                // Placement looked possible but the pools refused: undo, so that nothing half-made is left behind.
                Shortfalls.Shortfall why = reconciler.shortfall(id).orElse(new Shortfalls.Shortfall("placed "
                        + done.replicas().size() + " of " + spec.replicas() + " replicas", false));
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
        return locks.locked(id, () -> {
            VolumeState v = existing(id);
            if (replicas > v.replicas().size() && replicas != v.spec().replicas()) {
                Placement p = reconciler.replicaCount().place(v.spec(), replicas - v.replicas().size(),
                        ops.nodes(v));
                if (!p.complete()) {
                    throw new ControlException(Reply.Kind.UNPROCESSABLE, "cannot scale volume '" + id + "' to "
                            + replicas + " replicas: " + p.shortfall());
                }
            }
            return reconciler.reconcileLocked(entities.volume(id, r -> new VolumeCommand.SetReplicaCount(replicas,
                    r)));
        });
    }

    public VolumeState destroy(String id) {
        return locks.locked(id, () -> destroyLocked(id));
    }

    private VolumeState destroyLocked(String id) {
        Optional<VolumeState> found = entities.volume(id);
        if (found.isEmpty()) {
            return entities.volume(id, VolumeCommand.Destroy::new);
        }
        VolumeState v = unpublishLocked(found.get());
        for (String replica : v.replicas()) {
            entities.replica(replica).ifPresent(ops::destroy);
        }
        reconciler.forget(id);
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
        return locks.locked(id, () -> {
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
            List<ReplicaState> replicas = ops.states(v);
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
                if (!inventory.online(r.spec().node())) {
                    continue;
                }
                String uri = ops.childUri(r, target);
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
                ReplicaOps.ignoreUnavailable(() -> await(io.destroyNexus(target, id), "destroy nexus " + id));
                entities.nexus(id, NexusCommand.Destroy::new);
                throw e;
            }
            entities.nexus(id, r -> new NexusCommand.Publish(protocol, info.deviceUri(), r));
            for (Child c : stale) {
                entities.nexus(id, r -> new NexusCommand.AddChild(c, r));
                await(io.addChild(target, id, c.uri()), "add child " + c.uri());
            }
            entities.volume(id, r -> new VolumeCommand.Publish(id, target, protocol, info.deviceUri(), allowed, r));
            return reconciler.reconcileLocked(existing(id));
        });
    }

    public VolumeState unpublish(String id) {
        return locks.locked(id, () -> unpublishLocked(existing(id)));
    }

    /** Why the volume is short of replicas (no pool with room, ...), or null when it is not. */
    public String shortfall(String id) {
        return reconciler.shortfall(id).map(Shortfalls.Shortfall::why).orElse(null);
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

    private VolumeState unpublishLocked(VolumeState v) {
        if (!v.published()) {
            return v;
        }
        Optional<NexusState> nexus = entities.nexus(v.nexus());
        if (nexus.isPresent()) {
            NexusState n = nexus.get();
            inventory.nexus(n.node(), n.id()).ifPresent(observed -> reconciler.nexuses().syncChildStates(n, observed));
            if (ops.nodeOnline(n.node())) {
                await(io.destroyNexus(n.node(), n.id()), "destroy nexus " + n.id());
            } else if (inventory.node(n.node()).isPresent()) {
                throw new ControlException(Reply.Kind.UNAVAILABLE, "node '" + n.node() + "' running the nexus of "
                        + "volume '" + v.id() + "' is offline; cannot take the target down");
            }
            entities.nexus(n.id(), NexusCommand.Unpublish::new);
            entities.nexus(n.id(), NexusCommand.Destroy::new);
            reconciler.nexuses().forget(n.id());
        }
        return entities.volume(v.id(), VolumeCommand.Unpublish::new);
    }

    /** The shape of an NVMe Qualified Name (NVMe base spec, 4.5): checked here so a typo is a 400, not a lockout. */
    private static boolean validNqn(String nqn) {
        return nqn != null && nqn.matches("nqn\\.\\d{4}-\\d{2}\\.[^:\\s]+:\\S+")
                && nqn.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 223;
    }

    private VolumeState existing(String id) {
        return entities.volume(id, VolumeCommand.Get::new);
    }

    private <T> T await(CompletionStage<T> stage, String what) {
        return ops.await(stage, what);
    }
}
