package io.caspian.control.service;

import io.caspian.control.entity.pool.PoolEntity;
import io.caspian.control.entity.volume.VolumeEntity;
import io.caspian.control.observed.Inventory;
import io.caspian.control.observed.IoEngineClient;
import io.caspian.events.ioengine.ReplicaInfo;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares desired state (entities) with observed state (io-engine reports) and acts: re-creates missing pools,
 * keeps every volume at its replica count, re-creates nexuses lost with an io-engine restart, destroys orphaned
 * replicas. Runs on a timer, whenever an io-engine reports and, for one volume, when a bus record calls for it;
 * one pass at a time, a trigger during a pass starts another when it ends.
 */
public final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    /** What this actor handles. */
    public sealed interface Message {
    }

    /** Asks for a sweep soon; cheap to send often. */
    public record Trigger(String reason) implements Message {
    }

    /** Asks for one volume to be looked at soon (a bus record called for it); cheap to send often. */
    public record VolumeChanged(String id) implements Message {
    }

    /** Stops sweeping; sent before the actor system shuts down. */
    public record Stop() implements Message {
    }

    private record Done() implements Message {
    }

    private final Entities entities;
    private final Inventory inventory;
    private final IoEngineClient io;
    private final VolumeService volumes;
    private final PoolService pools;
    private final Duration ioTimeout;

    private Reconciler(Entities entities, Inventory inventory, IoEngineClient io, VolumeService volumes,
                       PoolService pools, Duration ioTimeout) {
        this.entities = entities;
        this.inventory = inventory;
        this.io = io;
        this.volumes = volumes;
        this.pools = pools;
        this.ioTimeout = ioTimeout;
    }

    public static Behavior<Message> create(Entities entities, Inventory inventory, IoEngineClient io,
                                           VolumeService volumes, PoolService pools, Duration interval,
                                           Duration ioTimeout, Executor executor) {
        Reconciler r = new Reconciler(entities, inventory, io, volumes, pools, ioTimeout);
        return Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(new Trigger("periodic sweep"), interval);
            return Behaviors.setup(ctx -> idle(r, ctx, executor));
        });
    }

    private static Behavior<Message> idle(Reconciler r, ActorContext<Message> ctx, Executor executor) {
        return Behaviors.receive(Message.class)
                .onMessage(Trigger.class, t -> start(r, ctx, executor, r::sweep))
                .onMessage(VolumeChanged.class, v -> start(r, ctx, executor, () -> r.volumes(Set.of(v.id()))))
                .onMessage(Done.class, d -> Behaviors.same())
                .onMessage(Stop.class, s -> Behaviors.stopped())
                .build();
    }

    private static Behavior<Message> start(Reconciler r, ActorContext<Message> ctx, Executor executor,
                                           Runnable work) {
        ctx.pipeToSelf(CompletableFuture.runAsync(work, executor), (ok, err) -> new Done());
        return running(r, ctx, executor, false, Set.of());
    }

    /**
     * One pass runs at a time. What asks for another meanwhile is remembered: a sweep (which covers every volume)
     * or the volumes named since; it starts when the running pass ends.
     */
    private static Behavior<Message> running(Reconciler r, ActorContext<Message> ctx, Executor executor,
                                             boolean again, Set<String> pending) {
        return Behaviors.receive(Message.class)
                .onMessage(Trigger.class, t -> again ? Behaviors.same() : running(r, ctx, executor, true, pending))
                .onMessage(VolumeChanged.class, v -> {
                    if (again || pending.contains(v.id())) {
                        return Behaviors.same();
                    }
                    Set<String> more = new LinkedHashSet<>(pending);
                    more.add(v.id());
                    return running(r, ctx, executor, false, Set.copyOf(more));
                })
                .onMessage(Done.class, d -> {
                    if (again) {
                        return start(r, ctx, executor, r::sweep);
                    }
                    return pending.isEmpty() ? idle(r, ctx, executor)
                            : start(r, ctx, executor, () -> r.volumes(pending));
                })
                .onMessage(Stop.class, s -> Behaviors.stopped())
                .build();
    }

    /** The named volumes only, each failing alone. */
    void volumes(Set<String> ids) {
        for (String id : ids) {
            guarded("volume " + id, () -> volumes.reconcile(id));
        }
    }

    /** One pass over everything; each step fails alone so that one broken volume does not stall the rest. */
    void sweep() {
        long start = System.nanoTime();
        guarded("pools", this::pools);
        List<String> ids = guardedIds(VolumeEntity.TYPE_KEY);
        for (String id : ids) {
            guarded("volume " + id, () -> volumes.reconcile(id));
        }
        guarded("orphans", this::orphans);
        long millis = (System.nanoTime() - start) / 1_000_000;
        LOG.debug("reconciler: swept {} volumes in {} ms", ids.size(), millis);
        if (millis > SLOW_SWEEP_MILLIS) {
            LOG.warn("reconciler: a sweep over {} volumes took {} ms", ids.size(), millis);
        }
    }

    private static final long SLOW_SWEEP_MILLIS = 5_000;

    private void pools() {
        for (String id : entities.ids(PoolEntity.TYPE_KEY)) {
            guarded("pool " + id, () -> pools.reconcile(id));
        }
    }

    /** A replica on an io-engine with no live Replica entity was left behind by a crash or an offline node. */
    private void orphans() {
        for (Inventory.On<ReplicaInfo> r : inventory.replicas()) {
            String uuid = r.info().uuid();
            boolean poolOnline = inventory.poolOnline(r.node(), r.info().pool());
            if (poolOnline && !inventory.recentlyCreated(uuid) && entities.replica(uuid).isEmpty()) {
                LOG.info("destroying orphaned replica {} in pool {} on node {}", uuid, r.info().pool(), r.node());
                guarded("destroy orphan " + uuid, () -> Await.result(io.destroyReplica(r.node(), uuid,
                        r.info().pool()), ioTimeout.plusSeconds(1), "destroy replica " + uuid));
            }
        }
    }

    private List<String> guardedIds(EntityTypeKey<?> type) {
        try {
            return entities.ids(type);
        } catch (RuntimeException e) {
            LOG.warn("reconciler: cannot list {} ids: {}", type.name(), e.getMessage());
            return List.of();
        }
    }

    private static void guarded(String what, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            LOG.warn("reconciler: {} failed: {}", what, e.getMessage());
        }
    }
}
