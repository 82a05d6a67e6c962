package io.caspian.control.reconciler;

import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.observed.Inventory;
import io.caspian.control.observed.ReportChange;
import io.caspian.control.readmodel.ModelKind;
import io.caspian.control.readmodel.ReadModel;
import io.caspian.control.service.Entities;
import io.caspian.control.service.PoolService;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares desired state (entities) with observed state (io-engine reports) and acts: re-creates missing pools,
 * keeps every volume at its replica count, re-creates nexuses lost with an io-engine restart, destroys orphaned
 * replicas. A full sweep runs on a timer (the safety net) and when a change may concern any volume (a node
 * registered, gone offline or back, a pool's health); a report that changed some nexuses or replicas, or a bus
 * record, has only the volumes they belong to looked at, so that the work per report follows the change, not
 * the size of the cluster. One pass at a time; what asks for more during a pass is merged and runs next.
 */
public final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    /** What this actor handles. */
    public sealed interface Message {
    }

    /** Asks for a full sweep soon; cheap to send often. */
    public record Trigger(String reason) implements Message {
    }

    /** The timer's safety sweep: the next page of volumes, so that its cost per tick is bounded. */
    private record Tick() implements Message {
    }

    /** Asks for one volume to be looked at soon (a bus record called for it); cheap to send often. */
    public record VolumeChanged(String id) implements Message {
    }

    /** An io-engine's report changed what {@code change} names. */
    public record Reported(String node, ReportChange change) implements Message {
    }

    /** Stops sweeping; sent before the actor system shuts down. */
    public record Stop() implements Message {
    }

    private record Done() implements Message {
    }

    private final Entities entities;
    private final ReadModel model;
    private final VolumeReconciler volumes;
    private final PoolService pools;
    private final GarbageCollector garbage;
    private final HealthyVolumes healthy;
    private final int page;
    private final ReconcileMetrics metrics;
    /** The last volume id the paged sweep reached; only the one running pass touches it. */
    private String cursor = "";

    private Reconciler(Entities entities, ReadModel model, VolumeReconciler volumes, PoolService pools,
                       GarbageCollector garbage, HealthyVolumes healthy, int page, ReconcileMetrics metrics) {
        this.entities = entities;
        this.model = model;
        this.volumes = volumes;
        this.pools = pools;
        this.garbage = garbage;
        this.healthy = healthy;
        this.page = page;
        this.metrics = metrics;
    }

    /**
     * {@code inventory} and {@code projected}: what the sweeps judge a volume plainly healthy by, to leave it alone
     * ({@link HealthyVolumes}); {@code metrics}: where the passes' durations are served; null for nowhere.
     */
    public static Behavior<Message> create(Entities entities, ReadModel model, VolumeReconciler volumes,
                                           PoolService pools, GarbageCollector garbage, Inventory inventory,
                                           Projected projected, Duration interval, int page, Executor executor,
                                           PrometheusRegistry metrics) {
        Reconciler r = new Reconciler(entities, model, volumes, pools, garbage,
                new HealthyVolumes(inventory, projected), page, ReconcileMetrics.on(metrics));
        return Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(new Tick(), interval);
            return Behaviors.setup(ctx -> idle(r, ctx, executor));
        });
    }

    private static Behavior<Message> idle(Reconciler r, ActorContext<Message> ctx, Executor executor) {
        return Behaviors.receive(Message.class)
                .onMessage(Trigger.class, t -> start(r, ctx, executor, Work.SWEEP))
                .onMessage(Tick.class, t -> start(r, ctx, executor, Work.NONE.tick()))
                .onMessage(VolumeChanged.class, v -> start(r, ctx, executor, Work.NONE.volume(v.id())))
                .onMessage(Reported.class, m -> m.change().isEmpty() ? Behaviors.same()
                        : start(r, ctx, executor, Work.NONE.report(m.change())))
                .onMessage(Done.class, d -> Behaviors.same())
                .onMessage(Stop.class, s -> Behaviors.stopped())
                .build();
    }

    private static Behavior<Message> start(Reconciler r, ActorContext<Message> ctx, Executor executor, Work work) {
        ctx.pipeToSelf(CompletableFuture.runAsync(() -> r.run(work), executor), (ok, err) -> new Done());
        return running(r, ctx, executor, Work.NONE);
    }

    /** One pass runs at a time; what asks for another meanwhile is merged into the next one. */
    private static Behavior<Message> running(Reconciler r, ActorContext<Message> ctx, Executor executor,
                                             Work next) {
        return Behaviors.receive(Message.class)
                .onMessage(Trigger.class, t -> running(r, ctx, executor, Work.SWEEP))
                .onMessage(Tick.class, t -> running(r, ctx, executor, next.tick()))
                .onMessage(VolumeChanged.class, v -> running(r, ctx, executor, next.volume(v.id())))
                .onMessage(Reported.class, m -> running(r, ctx, executor, next.report(m.change())))
                .onMessage(Done.class, d -> next.isEmpty() ? idle(r, ctx, executor) : start(r, ctx, executor, next))
                .onMessage(Stop.class, s -> Behaviors.stopped())
                .build();
    }

    /**
     * What the next pass covers: everything (a sweep), or the next page of the safety sweep and the volumes
     * named and those of the nexuses and replicas that changed. Immutable; merging into a sweep leaves a sweep.
     */
    record Work(boolean sweep, boolean page, Set<String> volumes, Set<String> nexuses, Set<String> replicas) {
        static final Work NONE = new Work(false, false, Set.of(), Set.of(), Set.of());
        static final Work SWEEP = new Work(true, false, Set.of(), Set.of(), Set.of());

        boolean isEmpty() {
            return !sweep && !page && volumes.isEmpty() && nexuses.isEmpty() && replicas.isEmpty();
        }

        Work tick() {
            return sweep ? this : new Work(false, true, volumes, nexuses, replicas);
        }

        Work volume(String id) {
            return sweep ? this : new Work(false, page, plus(volumes, Set.of(id)), nexuses, replicas);
        }

        Work report(ReportChange change) {
            if (sweep || change.everything()) {
                return SWEEP;
            }
            return new Work(false, page, volumes, plus(nexuses, change.nexuses()), plus(replicas, change.replicas()));
        }

        private static Set<String> plus(Set<String> a, Set<String> b) {
            if (a.containsAll(b)) {
                return a;
            }
            Set<String> all = new LinkedHashSet<>(a);
            all.addAll(b);
            return Set.copyOf(all);
        }
    }

    void run(Work work) {
        long start = System.nanoTime();
        if (work.sweep()) {
            metrics.passed("sweep", start, sweep(Integer.MAX_VALUE).size());
            return;
        }
        Set<String> ids = affected(work);
        int swept = 0;
        if (work.page()) {
            List<String> done = sweep(page);
            swept = done.size();
            ids.removeAll(done);
        }
        volumes(ids);
        metrics.passed(work.page() ? "page" : "changes", start, swept + ids.size());
    }

    /**
     * The volumes a piece of work concerns: those named, and the owners of the nexuses and replicas named. A
     * nexus or replica with no entity belongs to no volume (an orphan is the sweep's business).
     */
    Set<String> affected(Work work) {
        Set<String> ids = new LinkedHashSet<>(work.volumes());
        for (String nexus : work.nexuses()) {
            guarded("find the volume of nexus " + nexus, () -> entities.nexus(nexus).map(NexusState::volume)
                    .filter(v -> !v.isEmpty()).ifPresent(ids::add));
        }
        for (String replica : work.replicas()) {
            guarded("find the volume of replica " + replica, () -> entities.replica(replica)
                    .map(s -> s.spec().volume()).filter(v -> !v.isEmpty()).ifPresent(ids::add));
        }
        return ids;
    }

    /** The named volumes only, each failing alone. */
    void volumes(Set<String> ids) {
        for (String id : ids) {
            guarded("volume " + id, () -> volumes.reconcile(id));
        }
    }

    /**
     * A pass over the pools, and over up to {@code limit} volumes and reported nexuses and replicas (orphans), each
     * from where the last pass stopped (round robin). The volumes of the page that plainly need nothing are left
     * alone and not among those returned, so that a volume a change names is still looked at. Each step fails alone so that one broken volume does not stall the rest. Returns the volumes done.
     */
    List<String> sweep(int limit) {
        long start = System.nanoTime();
        guarded("pools", this::pools);
        Set<String> due = new LinkedHashSet<>(nextPage(guardedIds(ModelKind.VOLUME), limit));
        due.removeAll(plainlyHealthy(List.copyOf(due)));
        // A volume short of replicas is looked at on every pass, whatever the read model lists yet: a new pool or
        // node that can take its replacement must not wait for the projection (which stalls on journal gaps).
        due.addAll(volumes.shortOfReplicas());
        List<String> ids = List.copyOf(due);
        for (String id : ids) {
            guarded("volume " + id, () -> volumes.reconcile(id));
        }
        guarded("orphans", () -> garbage.collect(limit));
        long millis = (System.nanoTime() - start) / 1_000_000;
        LOG.debug("reconciler: swept {} volumes in {} ms", ids.size(), millis);
        if (millis > SLOW_SWEEP_MILLIS) {
            LOG.warn("reconciler: a sweep over {} volumes took {} ms", ids.size(), millis);
        }
        return ids;
    }

    /** The volumes {@link HealthyVolumes} finds need nothing; none when it cannot tell. */
    private Set<String> plainlyHealthy(List<String> ids) {
        try {
            return healthy.of(ids);
        } catch (RuntimeException e) {
            LOG.warn("reconciler: cannot read the read model to skip healthy volumes: {}", e.getMessage());
            return Set.of();
        }
    }

    private List<String> nextPage(List<String> ids, int limit) {
        List<String> next = page(ids, cursor, limit);
        cursor = next.size() == ids.size() || next.isEmpty() ? "" : next.get(next.size() - 1);
        return next;
    }

    /** Up to {@code limit} of the sorted {@code ids}, starting after {@code after} and wrapping around once. */
    static List<String> page(List<String> ids, String after, int limit) {
        if (ids.size() <= limit) {
            return ids;
        }
        List<String> next = new ArrayList<>(limit);
        for (String id : ids) {
            if (next.size() < limit && id.compareTo(after) > 0) {
                next.add(id);
            }
        }
        for (int i = 0; next.size() < limit; i++) {
            next.add(ids.get(i));
        }
        return next;
    }

    private static final long SLOW_SWEEP_MILLIS = 5_000;

    private void pools() {
        for (String id : model.ids(ModelKind.POOL)) {
            guarded("pool " + id, () -> pools.reconcile(id));
        }
    }

    /**
     * Ids from the read model, which may lag the journal: a volume it misses waits for the next sweep (its own
     * changes reconcile it meanwhile), and each id is read afresh from its entity before anything is done.
     */
    private List<String> guardedIds(ModelKind<?, ?> kind) {
        try {
            return model.ids(kind);
        } catch (RuntimeException e) {
            LOG.warn("reconciler: cannot list {} ids: {}", kind.tag(), e.getMessage());
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
