package io.caspian.projections;

import com.typesafe.config.Config;
import io.caspian.control.ControlPlane;
import io.caspian.control.entity.nexus.NexusEntity;
import io.caspian.control.entity.node.NodeEntity;
import io.caspian.control.entity.pool.PoolEntity;
import io.caspian.control.entity.replica.ReplicaEntity;
import io.caspian.control.entity.volume.VolumeEntity;
import io.caspian.control.journal.JournalSchema;
import io.caspian.control.journal.JournalTail;
import io.caspian.control.journal.ProjectionDatabase;
import io.caspian.projections.audit.AuditHandler;
import io.caspian.projections.audit.AuditQueries;
import io.caspian.projections.audit.AuditStore;
import io.caspian.projections.kafka.Producers;
import io.caspian.projections.kafka.PublicEventPublisher;
import io.caspian.projections.rest.EventsRoute;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.Projection;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * Runs, per entity tag, the audit projection (exactly once into {@code audit_events}) and, when Kafka is
 * configured, the public-event projection (at least once onto the public topic, offsets stored after the broker's
 * acknowledgement). Each runs once in the cluster, on a node with the control role, as a sharded daemon process.
 */
public final class Projections {
    /** Every tag the entities write; one projection instance of each kind per tag. */
    public static final List<String> TAGS = List.of(NodeEntity.TAG, PoolEntity.TAG, ReplicaEntity.TAG,
            NexusEntity.TAG, VolumeEntity.TAG);
    /** Projection names; with a tag they make its {@link ProjectionId}. */
    public static final String AUDIT = "audit";
    public static final String PUBLIC_EVENTS = "public-events";

    private final ProjectionDatabase database;
    private final AuditQueries queries;
    private final ExecutorService queryThreads;

    private Projections(ProjectionDatabase database, AuditQueries queries, ExecutorService queryThreads) {
        this.database = database;
        this.queries = queries;
        this.queryThreads = queryThreads;
    }

    /** For {@link ControlPlane#start(Config, List)}: starts the projections and serves {@code GET /v0/events}. */
    public static ControlPlane.Extension extension() {
        return extension(null);
    }

    /** As {@link #extension()}, with the projections' progress and lag shown in {@code metrics} (null: none). */
    public static ControlPlane.Extension extension(PrometheusRegistry metrics) {
        return (system, config) -> {
            Projections p = start(system, config, metrics);
            return List.of(new EventsRoute(p.queries(), p.queryThreads()).route());
        };
    }

    /**
     * Creates the tables (audit and offsets) if missing and starts the projections. The actor system must run with
     * {@link io.caspian.control.journal.JournalSettings#pekkoConfig()} (it names the offset store's dialect).
     */
    public static Projections start(ActorSystem<?> system, Config config) {
        return start(system, config, null);
    }

    /** As {@link #start(ActorSystem, Config)}, registering {@link ProjectionMetrics} on {@code metrics} if not null. */
    public static Projections start(ActorSystem<?> system, Config config, PrometheusRegistry metrics) {
        ProjectionSettings s = ProjectionSettings.fromConfig(config);
        ProjectionDatabase db = prepare(system, s);
        AuditStore store = new AuditStore(s.journal().kind());
        ShardedDaemonProcessSettings daemon = ShardedDaemonProcessSettings.create(system)
                .withRole(ControlPlane.ROLE);
        ProjectionProgress progress = new ProjectionProgress();
        ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, "audit-projection", TAGS.size(),
                i -> ProjectionBehavior.create(audit(system, db, store, s, TAGS.get(i)).withStatusObserver(progress)),
                daemon, Optional.of(ProjectionBehavior.stopMessage()));
        Producer<String, byte[]> producer = s.kafkaEnabled()
                ? Producers.idempotent(s.bootstrapServers(), "caspian-public-events", s.kafkaSecurity()) : null;
        if (producer != null) {
            PublicEventPublisher publisher = new PublicEventPublisher(producer, s.topic(), s.inFlight());
            ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, "public-event-projection",
                    TAGS.size(), i -> ProjectionBehavior.create(publicEvents(system, db, publisher, s, TAGS.get(i))
                            .withStatusObserver(progress)),
                    daemon, Optional.of(ProjectionBehavior.stopMessage()));
        }
        if (metrics != null) {
            metrics.register(new ProjectionMetrics(db.dataSource(), progress,
                    producer != null ? List.of(AUDIT, PUBLIC_EVENTS) : List.of(AUDIT), TAGS, Clock.systemUTC()));
        }
        ExecutorService queryThreads = Executors.newFixedThreadPool(s.queryThreads(), r -> {
            Thread t = new Thread(r, "caspian-event-query");
            t.setDaemon(true);
            return t;
        });
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
                "close-projections", () -> {
                    if (producer != null) {
                        producer.close(java.time.Duration.ofSeconds(5));
                    }
                    queryThreads.shutdown();
                    db.close();
                    return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
                });
        return new Projections(db, new AuditQueries(db.dataSource()), queryThreads);
    }

    /** Creates the audit and offset tables if missing (idempotent) and opens the projections' pool. */
    static ProjectionDatabase prepare(ActorSystem<?> system, ProjectionSettings s) {
        JournalSchema.ensure(s.journal(), "/caspian/schema/audit-h2.sql", "/caspian/schema/audit-postgres.sql");
        ProjectionDatabase db = new ProjectionDatabase(s.journal(), s.poolSize());
        try {
            JdbcProjection.createTablesIfNotExists(db::session, system).toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            return db;
        } catch (Exception e) {
            db.close();
            throw new IllegalStateException("cannot create the projection offset tables: " + e.getMessage(), e);
        }
    }

    public ProjectionDatabase database() {
        return database;
    }

    public AuditQueries queries() {
        return queries;
    }

    public ExecutorService queryThreads() {
        return queryThreads;
    }

    static SourceProvider<Offset, EventEnvelope<Object>> source(ActorSystem<?> system, String tag) {
        return JournalTail.get(system).eventsByTag(tag);
    }

    static Projection<EventEnvelope<Object>> audit(ActorSystem<?> system, ProjectionDatabase db, AuditStore store,
                                                   ProjectionSettings s, String tag) {
        return auditProjection(system, source(system, tag), db, store, s, tag);
    }

    static Projection<EventEnvelope<Object>> auditProjection(ActorSystem<?> system,
                                                             SourceProvider<Offset, EventEnvelope<Object>> source,
                                                             ProjectionDatabase db, AuditStore store,
                                                             ProjectionSettings s, String tag) {
        return JdbcProjection.groupedWithin(ProjectionId.of(AUDIT, tag), source, db::session,
                        () -> new AuditHandler(store), system)
                .withGroup(s.auditGroupSize(), s.auditGroupWithin());
    }

    static Projection<EventEnvelope<Object>> publicEvents(ActorSystem<?> system, ProjectionDatabase db,
                                                          PublicEventPublisher publisher, ProjectionSettings s,
                                                          String tag) {
        return publicEventsProjection(system, source(system, tag), db, publisher, s, tag);
    }

    static Projection<EventEnvelope<Object>> publicEventsProjection(
            ActorSystem<?> system, SourceProvider<Offset, EventEnvelope<Object>> source, ProjectionDatabase db,
            PublicEventPublisher publisher, ProjectionSettings s, String tag) {
        return JdbcProjection.atLeastOnceFlow(ProjectionId.of(PUBLIC_EVENTS, tag), source, db::session,
                        publisher.flow(), system)
                .withSaveOffset(s.saveOffsetAfterEvents(), s.saveOffsetAfter());
    }
}
