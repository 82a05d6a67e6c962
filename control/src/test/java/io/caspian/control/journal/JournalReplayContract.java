package io.caspian.control.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.Lifecycle;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.nexus.BusMark;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusEntity;
import io.caspian.control.entity.nexus.NexusSpec;
import io.caspian.control.entity.volume.VolumeCommand;
import io.caspian.control.entity.volume.VolumeEntity;
import io.caspian.control.entity.volume.VolumeSpec;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;

/** The same journal tests on every database: schema creation is re-runnable, entities replay after a restart. */
abstract class JournalReplayContract {
    private static final EntitySettings SNAPSHOT_EVERY_4 = new EntitySettings(4, 2);

    abstract JournalSettings settings();

    /** An empty database of its own, for tests that must start from nothing. */
    abstract JournalSettings freshDatabase(String name) throws Exception;

    /** The plugin's own create script for this database, as shipped in its jar. */
    abstract String shippedScript();

    private Config config() {
        return settings().pekkoConfig()
                .withFallback(ConfigFactory.parseString("pekko.loglevel = WARNING"))
                .withFallback(ConfigFactory.load());
    }

    @Test
    void schemaCreationIsIdempotent() throws Exception {
        JournalSchema.ensure(settings());
        JournalSchema.ensure(settings());
        try (Connection c = DriverManager.getConnection(settings().url(), settings().user(), settings().password());
             ResultSet rs = c.getMetaData().getTables(null, null, "event_journal", null)) {
            assertTrue(rs.next(), "event_journal exists");
        }
    }

    @Test
    void startsOnADatabaseMadeByThePluginsOwnScript() throws Exception {
        JournalSettings fresh = freshDatabase("shipped" + System.nanoTime());
        runScript(fresh, shippedScript());
        // The shipped script cannot run twice (its index creation has no IF NOT EXISTS); ours can, after it.
        assertThrows(SQLException.class, () -> runScript(fresh, shippedScript()));
        JournalSchema.ensure(fresh);
        JournalSchema.ensure(fresh);
    }

    private static void runScript(JournalSettings s, String resource) throws Exception {
        String sql;
        try (var in = JournalReplayContract.class.getClassLoader().getResourceAsStream(resource)) {
            sql = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        try (Connection c = DriverManager.getConnection(s.url(), s.user(), s.password());
             var st = c.createStatement()) {
            c.setAutoCommit(true);
            for (String statement : sql.split(";")) {
                if (!statement.isBlank()) {
                    st.execute(statement);
                }
            }
        }
    }

    @Test
    void volumeReplaysFromSnapshotAndEventsAfterRestart() throws Exception {
        JournalSchema.ensure(settings());
        String id = "vol-" + System.nanoTime();
        VolumeSpec spec = new VolumeSpec(1 << 30, 2, false, Map.of(), Map.of("tier", "gold"));
        VolumeState before;
        ActorTestKit first = ActorTestKit.create("journal1", config());
        try {
            ActorRef<VolumeCommand> v = first.spawn(VolumeEntity.create(id, SNAPSHOT_EVERY_4));
            ask(first, v, r -> new VolumeCommand.Create(spec, r));
            for (int i = 0; i < 6; i++) {
                String replica = "r" + i;
                ask(first, v, r -> new VolumeCommand.AddReplica(replica, r));
            }
            ask(first, v, r -> new VolumeCommand.RemoveReplica("r0", r));
            ask(first, v, r -> new VolumeCommand.Publish(id, "n1", Protocol.NVMF, "nvmf://127.0.0.1:4420/x",
                    List.of("nqn.2014-08.org.nvmexpress:uuid:h"), r));
            before = state(ask(first, v, r -> new VolumeCommand.SetStatus(Health.DEGRADED, "test", r)));
        } finally {
            first.shutdownTestKit();
        }
        assertEquals(10, count("SELECT COUNT(*) FROM " + table("event_journal") + " WHERE "
                + column("persistence_id") + " = 'Volume|" + id + "'"));
        assertTrue(count("SELECT COUNT(*) FROM " + table("snapshot") + " WHERE " + column("persistence_id")
                + " = 'Volume|" + id + "'") >= 1, "a snapshot was taken");

        ActorTestKit second = ActorTestKit.create("journal2", config());
        try {
            ActorRef<VolumeCommand> v = second.spawn(VolumeEntity.create(id, SNAPSHOT_EVERY_4));
            VolumeState after = state(ask(second, v, VolumeCommand.Get::new));
            assertEquals(before, after);
            assertEquals(Lifecycle.ACTIVE, after.lifecycle());
            assertEquals(5, after.replicas().size());
        } finally {
            second.shutdownTestKit();
        }
    }

    /**
     * Events by tag (JournalTail) with two tags interleaved in the journal and batches smaller than the result: each
     * tag's own events, in journal order, and from a stored offset exactly those after it.
     */
    @Test
    void eventsByTagReadEachTagInOrderFromAnyOffset() throws Exception {
        JournalSchema.ensure(settings());
        String volume = "tagvol-" + System.nanoTime();
        String nexus = "tagnex-" + System.nanoTime();
        ActorTestKit kit = ActorTestKit.create("journaltags", ConfigFactory.parseString(
                "caspian.control.journal-tail.batch-size = 2").withFallback(config()));
        try {
            ActorRef<VolumeCommand> v = kit.spawn(VolumeEntity.create(volume, EntitySettings.DEFAULT));
            ActorRef<NexusCommand> n = kit.spawn(NexusEntity.create(nexus, EntitySettings.DEFAULT));
            ask(kit, v, r -> new VolumeCommand.Create(new VolumeSpec(1 << 30, 1, false, Map.of(), Map.of()), r));
            askNexus(kit, n, r -> new NexusCommand.Create(new NexusSpec("node-a", 1 << 20, volume,
                    List.of(new Child("bdev:///x", "r0", ChildState.ONLINE, ""))), r));
            for (int i = 1; i <= 4; i++) {
                String replica = "r" + i;
                ask(kit, v, r -> new VolumeCommand.AddReplica(replica, r));
                ChildState state = i % 2 == 1 ? ChildState.FAULTED : ChildState.ONLINE;
                askNexus(kit, n, r -> new NexusCommand.SetChildState("bdev:///x", state, "test", BusMark.NONE, r));
            }
            JournalTail tail = JournalTail.get(kit.system());
            List<EventEnvelope<Object>> volumes = mine(kit, tail, VolumeEntity.TAG, 0, "Volume|" + volume, 5);
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L), volumes.stream().map(EventEnvelope::sequenceNr).toList());
            List<EventEnvelope<Object>> nexuses = mine(kit, tail, NexusEntity.TAG, 0, "Nexus|" + nexus, 5);
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L), nexuses.stream().map(EventEnvelope::sequenceNr).toList());
            List<EventEnvelope<Object>> after = mine(kit, tail, VolumeEntity.TAG, ordering(volumes.get(1)),
                    "Volume|" + volume, 3);
            assertEquals(List.of(3L, 4L, 5L), after.stream().map(EventEnvelope::sequenceNr).toList());
            for (int i = 1; i < volumes.size(); i++) {
                assertTrue(ordering(volumes.get(i)) > ordering(volumes.get(i - 1)), "offsets rise");
            }
            // A live stream sees an event written after it started.
            var live = JournalTail.get(kit.system()).eventsByTag(VolumeEntity.TAG, ordering(volumes.get(4)))
                    .filter(e -> e.persistenceId().equals("Volume|" + volume)).take(1)
                    .runWith(Sink.seq(), kit.system());
            ask(kit, v, r -> new VolumeCommand.AddReplica("r9", r));
            assertEquals(6L, live.toCompletableFuture().get(20, TimeUnit.SECONDS).get(0).sequenceNr());
        } finally {
            kit.shutdownTestKit();
        }
    }

    /**
     * A journal write that failed after the database gave it an ordering leaves a hole in the orderings. Where only
     * this JVM writes (H2), the tail reads past it as soon as no write is in flight — the gap timeout is set far
     * beyond the test's wait to show it is not what lets the event through; where others may write (PostgreSQL),
     * after the gap timeout.
     */
    @Test
    void aHoleLeftByAFailedWriteHoldsNoEventBack() throws Exception {
        JournalSchema.ensure(settings());
        String volume = "holevol-" + System.nanoTime();
        ActorTestKit kit = ActorTestKit.create("journalhole", ConfigFactory.parseString(
                "caspian.control.journal-tail.gap-timeout = " + (settings().exclusive() ? "120s" : "1s"))
                .withFallback(config()));
        try {
            long before = count("SELECT COALESCE(MAX(" + column("ordering") + "), 0) FROM " + table("event_journal"));
            JournalTail tail = JournalTail.get(kit.system());
            JournalWrites writes = JournalWrites.of(settings().url());
            long write = writes.begin();
            try (Connection c = DriverManager.getConnection(settings().url(), settings().user(),
                    settings().password())) {
                c.setAutoCommit(false);
                try (var insert = c.prepareStatement("INSERT INTO " + table("event_journal") + " ("
                        + column("persistence_id") + ", " + column("sequence_number") + ", " + column("writer") + ", "
                        + column("write_timestamp") + ", " + column("adapter_manifest") + ", "
                        + column("event_payload") + ", " + column("event_ser_id") + ", "
                        + column("event_ser_manifest") + ") VALUES ('Volume|lost', 1, 'w', 0, '', ?, 1, '')")) {
                    insert.setBytes(1, new byte[] {0});
                    insert.executeUpdate();
                }
                c.rollback();
            } finally {
                writes.end(write);
            }
            createVolume(kit, volume);
            List<EventEnvelope<Object>> seen = mine(kit, tail, VolumeEntity.TAG, before, "Volume|" + volume, 1);
            assertTrue(ordering(seen.get(0)) > before + 1, "the failed write took ordering " + (before + 1));
        } finally {
            kit.shutdownTestKit();
        }
    }

    /**
     * Under writes that overlap without pause — one always in flight, as under load — the head still moves: it holds
     * one candidate until the writes begun before its read have ended, rather than waiting for a moment with none.
     */
    @Test
    void aSteadyStreamOfWritesDoesNotHoldTheHeadBack() throws Exception {
        JournalSchema.ensure(settings());
        String volume = "steadyvol-" + System.nanoTime();
        ActorTestKit kit = ActorTestKit.create("journalsteady", config());
        JournalWrites writes = JournalWrites.of(settings().url());
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread overlapping = new Thread(() -> {
            long held = writes.begin();
            while (!stop.get()) {
                long next = writes.begin();
                writes.end(held);
                held = next;
                java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
            }
            writes.end(held);
        }, "overlapping-writes");
        try {
            long before = count("SELECT COALESCE(MAX(" + column("ordering") + "), 0) FROM " + table("event_journal"));
            JournalTail tail = JournalTail.get(kit.system());
            overlapping.start();
            createVolume(kit, volume);
            List<EventEnvelope<Object>> seen = mine(kit, tail, VolumeEntity.TAG, before, "Volume|" + volume, 1);
            assertEquals(1L, seen.get(0).sequenceNr());
        } finally {
            stop.set(true);
            overlapping.join();
            kit.shutdownTestKit();
        }
    }

    /** Journals a volume's first event (Create). */
    private static void createVolume(ActorTestKit kit, String volume) throws Exception {
        ActorRef<VolumeCommand> v = kit.spawn(VolumeEntity.create(volume, EntitySettings.DEFAULT));
        ask(kit, v, r -> new VolumeCommand.Create(new VolumeSpec(1 << 30, 1, false, Map.of(), Map.of()), r));
    }

    private static long ordering(EventEnvelope<Object> e) {
        return ((Sequence) e.offset()).value();
    }

    /** The first {@code n} events of {@code persistenceId} in the tag's stream after {@code from}. */
    private static List<EventEnvelope<Object>> mine(ActorTestKit kit, JournalTail tail, String tag, long from,
                                                    String persistenceId, int n) throws Exception {
        return tail.eventsByTag(tag, from).filter(e -> e.persistenceId().equals(persistenceId)).take(n)
                .runWith(Sink.seq(), kit.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static Reply askNexus(ActorTestKit kit, ActorRef<NexusCommand> n,
                                  Function<ActorRef<Reply>, NexusCommand> command) throws Exception {
        Reply r = AskPattern.ask(n, command::apply, Duration.ofSeconds(10), kit.scheduler()).toCompletableFuture()
                .get();
        assertTrue(r instanceof Reply.Ok, String.valueOf(r));
        return r;
    }

    private String table(String name) {
        return settings().kind() == JournalSettings.Kind.H2 ? "\"" + name + "\"" : name;
    }

    private String column(String name) {
        return table(name);
    }

    private long count(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(settings().url(), settings().user(), settings().password());
             ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Reply ask(ActorTestKit kit, ActorRef<VolumeCommand> v,
                             Function<ActorRef<Reply>, VolumeCommand> command) throws Exception {
        return AskPattern.ask(v, command::apply, Duration.ofSeconds(10), kit.scheduler()).toCompletableFuture().get();
    }

    private static VolumeState state(Reply r) {
        return (VolumeState) ((Reply.Ok) r).state();
    }
}
