package io.caspian.control.readmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.caspian.control.entity.Lifecycle;
import io.caspian.control.entity.replica.ReplicaEvent;
import io.caspian.control.entity.replica.ReplicaSpec;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.journal.JournalSchema;
import io.caspian.control.journal.JournalSettings;
import io.caspian.control.journal.PooledSession;
import io.caspian.control.journal.ProjectionDatabase;
import io.caspian.control.journal.TestPostgres;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The read model's SQL on a real PostgreSQL: upserts, deletes, the pool index and the journal-lag queries. */
class ReadModelPostgresTest {
    private static TestPostgres postgres;
    private static ProjectionDatabase db;

    @BeforeAll
    static void start() throws Exception {
        postgres = TestPostgres.start();
        System.out.println("PostgreSQL for the read model test: " + postgres.how());
        JournalSettings journal = postgres.settings();
        JournalSchema.ensure(journal);
        JournalSchema.ensure(journal, "/caspian/schema/read-model-h2.sql", "/caspian/schema/read-model-postgres.sql");
        db = new ProjectionDatabase(journal, 2);
    }

    @AfterAll
    static void stop() throws Exception {
        if (db != null) {
            db.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    private static EventEnvelope<Object> env(long ordering, String pid, long seq, Object event) {
        return EventEnvelope.create(Offset.sequence(ordering), pid, seq, event, 1_700_000_000_000L + ordering);
    }

    @Test
    void rowsFollowTheEventsOnPostgres() throws Exception {
        ReadModelStore store = new ReadModelStore(JournalSettings.Kind.POSTGRES);
        ReadModelHandler<?, ?> handler = new ReadModelHandler<>(ModelKind.REPLICA, store);
        ReplicaSpec inA = new ReplicaSpec("pool-a", "node-a", 1 << 20, true, "vol-1");
        ReplicaSpec inB = new ReplicaSpec("pool-b", "node-b", 1 << 20, true, "vol-1");
        List<EventEnvelope<Object>> first = List.of(
                env(1, "Replica|rep-1", 1, new ReplicaEvent.ReplicaCreated(inA)),
                env(2, "Replica|rep-2", 1, new ReplicaEvent.ReplicaCreated(inA)));
        apply(handler, first);
        apply(handler, first);
        apply(handler, List.of(env(3, "Replica|rep-2", 2, new ReplicaEvent.ReplicaDestroyed())));
        apply(handler, List.of(
                env(4, "Replica|rep-2", 3, new ReplicaEvent.ReplicaCreated(inB)),
                env(5, "Replica|rep-1", 2, new ReplicaEvent.ReplicaShared(Protocol.NVMF, "nvmf://x/rep-1"))));

        ReadModel model = new ReadModel(db.dataSource(), store, Duration.ofSeconds(5));
        assertEquals(List.of("rep-1"), model.replicasInPool("pool-a"));
        assertEquals(List.of("rep-2"), model.replicasInPool("pool-b"));
        assertEquals(List.of(
                new ReplicaState("rep-1", Lifecycle.ACTIVE, inA, Protocol.NVMF, "nvmf://x/rep-1", Health.UNKNOWN),
                new ReplicaState("rep-2", Lifecycle.ACTIVE, inB, Protocol.NONE, "bdev:///rep-2", Health.UNKNOWN)),
                model.current(ModelKind.REPLICA));
        try (Connection c = db.dataSource().getConnection()) {
            assertEquals(5, store.progress(c, ModelKind.REPLICA.tag()));
            assertEquals(0, store.journalHead(c));
            assertFalse(store.pending(c, ModelKind.REPLICA.tag(), 0, 10));
            c.rollback();
        }
    }

    private static void apply(ReadModelHandler<?, ?> handler, List<EventEnvelope<Object>> group) throws Exception {
        PooledSession session = db.session();
        try {
            handler.process(session, group);
            session.commit();
        } finally {
            session.close();
        }
    }
}
