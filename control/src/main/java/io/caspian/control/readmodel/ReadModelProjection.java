package io.caspian.control.readmodel;

import com.typesafe.config.Config;
import io.caspian.control.ControlPlane;
import io.caspian.control.entity.EntityState;
import io.caspian.control.journal.JournalSchema;
import io.caspian.control.journal.JournalSettings;
import io.caspian.control.journal.JournalTail;
import io.caspian.control.journal.ProjectionDatabase;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
 * Starts the read model: creates its tables and the projections' offset table if missing, runs one projection per
 * entity tag once in the cluster (a sharded daemon process on nodes with the control role) and returns the
 * {@link ReadModel} that reads the tables.
 */
public final class ReadModelProjection {
    /** {@code caspian.control.read-model}. */
    public record Settings(int groupSize, Duration groupWithin, Duration consistencyWait, int queryConnections) {
        public static Settings fromConfig(Config c) {
            return new Settings(c.getInt("group-size"), c.getDuration("group-within"),
                    c.getDuration("consistency-wait"), c.getInt("query-connections"));
        }
    }

    private ReadModelProjection() {
    }

    /** {@code config} is the actor system's, with {@link JournalSettings#pekkoConfig()} (the offset dialect). */
    public static ReadModel start(ActorSystem<?> system, Config config, JournalSettings journal) {
        Settings s = Settings.fromConfig(config.getConfig("caspian.control.read-model"));
        // The projections' JDBC work runs on this dispatcher, one connection per thread.
        int writers = config.getInt("pekko.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor"
                + ".fixed-pool-size");
        ProjectionDatabase writes = new ProjectionDatabase(journal, writers);
        ProjectionDatabase reads = new ProjectionDatabase(journal, s.queryConnections());
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
                "close-read-model", () -> {
                    writes.close();
                    reads.close();
                    return CompletableFuture.completedFuture(Done.getInstance());
                });
        prepare(system, journal, writes);
        ReadModelStore store = new ReadModelStore(journal.kind());
        ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, "read-model-projection",
                ModelKind.ALL.size(), i -> ProjectionBehavior.create(projection(system,
                        JournalTail.get(system).eventsByTag(ModelKind.ALL.get(i).tag()), writes, store, s, ModelKind.ALL.get(i))),
                ShardedDaemonProcessSettings.create(system).withRole(ControlPlane.ROLE),
                Optional.of(ProjectionBehavior.stopMessage()));
        return new ReadModel(reads.dataSource(), store, s.consistencyWait());
    }

    /** Creates the read model's tables and the projections' offset table if missing (both idempotent). */
    static void prepare(ActorSystem<?> system, JournalSettings journal, ProjectionDatabase db) {
        JournalSchema.ensure(journal, "/caspian/schema/read-model-h2.sql", "/caspian/schema/read-model-postgres.sql");
        try {
            JdbcProjection.createTablesIfNotExists(db::session, system).toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the projection offset tables: " + e.getMessage(), e);
        }
    }

    /** The exactly-once projection of one kind's events into its rows (also what tests run directly). */
    public static <E, S extends EntityState> Projection<EventEnvelope<Object>> projection(
            ActorSystem<?> system, SourceProvider<Offset, EventEnvelope<Object>> source, ProjectionDatabase db,
            ReadModelStore store, Settings s, ModelKind<E, S> kind) {
        return JdbcProjection.groupedWithin(ProjectionId.of("read-model", kind.tag()), source, db::session,
                        () -> new ReadModelHandler<>(kind, store), system)
                .withGroup(s.groupSize(), s.groupWithin());
    }
}
