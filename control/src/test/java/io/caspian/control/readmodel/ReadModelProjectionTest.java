package io.caspian.control.readmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.caspian.control.entity.Lifecycle;
import io.caspian.control.entity.node.NodeEvent;
import io.caspian.control.entity.node.NodeState;
import io.caspian.control.entity.pool.PoolEvent;
import io.caspian.control.entity.pool.PoolSpec;
import io.caspian.control.entity.pool.PoolState;
import io.caspian.control.entity.replica.ReplicaEvent;
import io.caspian.control.entity.replica.ReplicaSpec;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.entity.volume.VolumeEvent;
import io.caspian.control.entity.volume.VolumeSpec;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.control.journal.JournalSchema;
import io.caspian.control.journal.JournalSettings;
import io.caspian.control.journal.PooledSession;
import io.caspian.control.journal.ProjectionDatabase;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.testkit.javadsl.ProjectionTestKit;
import org.apache.pekko.projection.testkit.javadsl.TestSourceProvider;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The read model's projection over a test source of envelopes, into real H2 tables: events to rows. */
class ReadModelProjectionTest {
    private static final VolumeSpec SPEC = new VolumeSpec(1 << 20, 2, true, Map.of(), Map.of("tier", "fast"));
    private static final ReadModelProjection.Settings SETTINGS =
            new ReadModelProjection.Settings(3, Duration.ofMillis(20), Duration.ofSeconds(5), 2);

    @TempDir
    Path dir;

    private ActorTestKit kit;
    private final List<ProjectionDatabase> opened = new ArrayList<>();

    /** One journal database with the read model's tables. */
    private record Db(ProjectionDatabase pool, ReadModelStore store, ReadModel model) {
    }

    @BeforeEach
    void start() {
        kit = ActorTestKit.create("read-model", JournalSettings.h2(dir).pekkoConfig()
                .withFallback(ConfigFactory.load()));
    }

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
        opened.forEach(ProjectionDatabase::close);
    }

    private Db open(String name) {
        JournalSettings journal = JournalSettings.h2(dir.resolve(name));
        JournalSchema.ensure(journal);
        ProjectionDatabase pool = new ProjectionDatabase(journal, 4);
        opened.add(pool);
        ReadModelProjection.prepare(kit.system(), journal, pool);
        ReadModelStore store = new ReadModelStore(journal.kind());
        return new Db(pool, store, new ReadModel(pool.dataSource(), store, Duration.ofSeconds(5)));
    }

    private static EventEnvelope<Object> env(long ordering, String pid, long seq, Object event) {
        return EventEnvelope.create(Offset.sequence(ordering), pid, seq, event, 1_700_000_000_000L + ordering);
    }

    /** Runs the kind's projection over {@code events}, starting after its stored offset as eventsByTag does. */
    private void run(Db db, ModelKind<?, ?> kind, List<EventEnvelope<Object>> events) {
        TestSourceProvider<Offset, EventEnvelope<Object>> source = TestSourceProvider
                .<Offset, EventEnvelope<Object>>create(Source.from(events), EventEnvelope::offset)
                .withStartSourceFrom((stored, offset) -> ((Sequence) offset).value() <= ((Sequence) stored).value());
        long last = ((Sequence) events.get(events.size() - 1).offset()).value();
        ProjectionTestKit.create(kit.system()).run(ReadModelProjection.projection(kit.system(), source, db.pool(),
                db.store(), SETTINGS, kind), Duration.ofSeconds(20), () -> assertEquals(last, progress(db, kind)));
    }

    private static long progress(Db db, ModelKind<?, ?> kind) throws Exception {
        try (Connection c = db.pool().dataSource().getConnection()) {
            long p = db.store().progress(c, kind.tag());
            c.rollback();
            return p;
        }
    }

    private static List<String> dump(Db db) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = db.pool().dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT entity_type, entity_id, sequence_nr, pool_id, state "
                     + "FROM read_model_entities ORDER BY entity_type, entity_id")) {
            while (r.next()) {
                rows.add(r.getString(1) + " " + r.getString(2) + " " + r.getLong(3) + " " + r.getString(4) + " "
                        + HexFormat.of().formatHex(r.getBytes(5)));
            }
            c.rollback();
        }
        return rows;
    }

    private static List<EventEnvelope<Object>> volumeStory() {
        return List.of(
                env(1, "Volume|vol-1", 1, new VolumeEvent.VolumeCreated(SPEC)),
                env(2, "Volume|vol-2", 1, new VolumeEvent.VolumeCreated(SPEC)),
                env(3, "Volume|vol-1", 2, new VolumeEvent.VolumeReplicaAdded("rep-1")),
                env(4, "Volume|vol-1", 3, new VolumeEvent.VolumeReplicaAdded("rep-2")),
                env(5, "Volume|vol-1", 4, new VolumeEvent.VolumePublished("nex-1", "node-a", Protocol.NVMF,
                        "nvmf://127.0.0.1:4420/nqn.2019-05.io.caspian:vol-1", List.of("nqn.host"))),
                env(6, "Volume|vol-2", 2, new VolumeEvent.VolumeDestroyed()),
                env(9, "Volume|vol-1", 5, new VolumeEvent.VolumeStatusChanged(Health.DEGRADED, "one replica short")),
                env(12, "Volume|vol-1", 6, new VolumeEvent.VolumeReplicaRemoved("rep-2")),
                env(13, "Volume|vol-3", 1, new VolumeEvent.VolumeCreated(SPEC.withReplicas(3))));
    }

    @Test
    void aRowHoldsTheStateTheEntityWouldHoldAndADestroyedOneHasNone() {
        Db db = open("volumes");
        run(db, ModelKind.VOLUME, volumeStory());
        assertEquals(List.of(
                new VolumeState("vol-1", Lifecycle.ACTIVE, SPEC, List.of("rep-1"), "nex-1", "node-a", Protocol.NVMF,
                        "nvmf://127.0.0.1:4420/nqn.2019-05.io.caspian:vol-1", List.of("nqn.host"), Health.DEGRADED,
                        "one replica short"),
                new VolumeState("vol-3", Lifecycle.ACTIVE, SPEC.withReplicas(3), List.of(), "", "", Protocol.NONE, "",
                        List.of(), Health.UNKNOWN, "")),
                db.model().current(ModelKind.VOLUME));
        assertEquals(List.of("vol-1", "vol-3"), db.model().ids(ModelKind.VOLUME));
    }

    @Test
    void nodesAndPoolsKeepTheirLiveStateAndAPoolDestroyedLeaves() {
        Db db = open("nodes-pools");
        run(db, ModelKind.NODE, List.of(
                env(1, "Node|node-a", 1, new NodeEvent.NodeRegistered("127.0.0.1:1", Map.of("zone", "a"))),
                env(2, "Node|node-a", 2, new NodeEvent.NodeCordoned()),
                env(3, "Node|node-b", 1, new NodeEvent.NodeRegistered("127.0.0.1:2", Map.of())),
                env(4, "Node|node-b", 2, new NodeEvent.NodeWentOffline())));
        List<NodeState> nodes = db.model().current(ModelKind.NODE);
        assertEquals(List.of("node-a", "node-b"), nodes.stream().map(NodeState::id).toList());
        assertEquals(true, nodes.get(0).cordoned());
        assertEquals(Map.of("zone", "a"), nodes.get(0).labels());
        assertEquals(false, nodes.get(1).online());

        PoolSpec a = new PoolSpec("node-a", "malloc:///a?size_mb=8", Map.of());
        run(db, ModelKind.POOL, List.of(
                env(5, "Pool|pool-a", 1, new PoolEvent.PoolCreated(a)),
                env(6, "Pool|pool-b", 1, new PoolEvent.PoolCreated(a)),
                env(7, "Pool|pool-a", 2, new PoolEvent.PoolStatusChanged(Health.DEGRADED, "slow")),
                env(8, "Pool|pool-b", 2, new PoolEvent.PoolDestroyed())));
        assertEquals(List.of(new PoolState("pool-a", Lifecycle.ACTIVE, a, Health.DEGRADED, "slow")),
                db.model().current(ModelKind.POOL));
    }

    @Test
    void aReplicaDestroyedLeavesItsPoolAndOneCreatedAgainUnderItsIdComesBack() {
        Db db = open("replicas");
        ReplicaSpec inA = new ReplicaSpec("pool-a", "node-a", 1 << 20, true, "vol-1");
        ReplicaSpec inB = new ReplicaSpec("pool-b", "node-b", 1 << 20, true, "vol-1");
        List<EventEnvelope<Object>> first = List.of(
                env(1, "Replica|rep-1", 1, new ReplicaEvent.ReplicaCreated(inA)),
                env(2, "Replica|rep-2", 1, new ReplicaEvent.ReplicaCreated(inA)),
                env(3, "Replica|rep-3", 1, new ReplicaEvent.ReplicaCreated(inB)),
                env(4, "Replica|rep-2", 2, new ReplicaEvent.ReplicaDestroyed()),
                env(5, "Replica|rep-1", 2, new ReplicaEvent.ReplicaShared(Protocol.NVMF, "nvmf://x/rep-1")));
        run(db, ModelKind.REPLICA, first);
        assertEquals(List.of("rep-1"), db.model().replicasInPool("pool-a"));
        assertEquals(List.of("rep-1", "rep-3"), db.model().ids(ModelKind.REPLICA));
        assertEquals("nvmf://x/rep-1", db.model().current(ModelKind.REPLICA).get(0).uri());

        List<EventEnvelope<Object>> all = new ArrayList<>(first);
        all.add(env(6, "Replica|rep-2", 3, new ReplicaEvent.ReplicaCreated(inB)));
        run(db, ModelKind.REPLICA, all);
        assertEquals(List.of("rep-2", "rep-3"), db.model().replicasInPool("pool-b"));
        ReplicaState back = db.model().current(ModelKind.REPLICA).get(1);
        assertEquals(new ReplicaState("rep-2", Lifecycle.ACTIVE, inB, Protocol.NONE, "bdev:///rep-2",
                Health.UNKNOWN), back);
    }

    @Test
    void aProjectionRestartedMidStreamLeavesTheSameTablesAsOneThatRanThrough() throws Exception {
        List<EventEnvelope<Object>> story = volumeStory();
        Db through = open("through");
        run(through, ModelKind.VOLUME, story);
        Db restarted = open("restarted");
        run(restarted, ModelKind.VOLUME, story.subList(0, 4));
        run(restarted, ModelKind.VOLUME, story.subList(0, 7));
        run(restarted, ModelKind.VOLUME, story);
        assertEquals(dump(through), dump(restarted));
        assertEquals(progress(through, ModelKind.VOLUME), progress(restarted, ModelKind.VOLUME));
    }

    @Test
    void aGroupAppliedTwiceLeavesTheSameRows() throws Exception {
        Db once = open("once");
        Db twice = open("twice");
        ReadModelHandler<?, ?> handler = new ReadModelHandler<>(ModelKind.VOLUME, once.store());
        List<EventEnvelope<Object>> story = volumeStory();
        apply(handler, once, story);
        apply(handler, twice, story);
        // Replayed after the rows moved on: rep-2 was removed since, and must not come back.
        apply(handler, twice, story.subList(2, 6));
        assertEquals(dump(once), dump(twice));
        assertEquals(2, dump(twice).size());
    }

    private static void apply(ReadModelHandler<?, ?> handler, Db db, List<EventEnvelope<Object>> group)
            throws Exception {
        PooledSession session = db.pool().session();
        try {
            handler.process(session, group);
            session.commit();
        } finally {
            session.close();
        }
    }
}
