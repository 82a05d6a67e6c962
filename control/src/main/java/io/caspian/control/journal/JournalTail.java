package io.caspian.control.journal;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.PekkoSerialization;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.javadsl.Source;
import scala.Option;

/**
 * Events by tag for the projections, read when the journal's {@link JournalHead} says a tag has new final events
 * rather than on a timer: the plugin's read journal polled every 500 ms per tag and projection (15 streams, 30
 * queries a second on an idle system, each materializing a new stream) and still took up to 1.5 s to see an event.
 * One per actor system ({@link #get}); {@link #eventsByTag(String)} is a projection's source.
 *
 * <p>A batch reads the tag's own index entries ({@code event_tag (tag, event_id)}) in the range, so it costs the
 * rows it returns, not the journal's size; an event marked deleted counts in the batch and is dropped after.
 */
public final class JournalTail implements Extension {
    private static final String EVENTS_BY_TAG = "SELECT \"ordering\", \"deleted\", \"persistence_id\", "
            + "\"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\", "
            + "\"event_ser_id\", \"event_ser_manifest\", \"meta_payload\", \"meta_ser_id\", \"meta_ser_manifest\" "
            + "FROM \"event_journal\" WHERE \"ordering\" IN (SELECT \"event_id\" FROM \"event_tag\" "
            + "WHERE \"tag\" = ? AND \"event_id\" > ? AND \"event_id\" <= ? ORDER BY \"tag\", \"event_id\" LIMIT ?) "
            + "ORDER BY \"ordering\"";

    public static final ExtensionId<JournalTail> ID = new ExtensionId<>() {
        @Override
        public JournalTail createExtension(ActorSystem<?> system) {
            return new JournalTail(system);
        }
    };

    private final ProjectionDatabase db;
    private final JournalHead head;
    private final ExecutorService readers;
    private final Serialization serialization;
    private final int batch;

    private JournalTail(ActorSystem<?> system) {
        Config config = system.settings().config();
        Config t = config.getConfig("caspian.control.journal-tail");
        JournalSettings journal = JournalSettings.ofJournal(config);
        this.batch = t.getInt("batch-size");
        int threads = t.getInt("read-threads");
        this.db = new ProjectionDatabase(journal, threads + 1);
        this.readers = Executors.newFixedThreadPool(threads, r -> {
            Thread th = new Thread(r, "caspian-journal-tail");
            th.setDaemon(true);
            return th;
        });
        this.serialization = SerializationExtension.get(Adapter.toClassic(system));
        this.head = new JournalHead(db.dataSource(), JournalWrites.of(journal.url()), journal.exclusive(),
                new JournalHead.Settings(t.getDuration("poll-interval"), t.getDuration("idle-check-interval"),
                        t.getDuration("gap-timeout"), t.getInt("scan-batch")));
        head.start();
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
                "close-journal-tail", () -> {
                    head.close();
                    readers.shutdownNow();
                    db.close();
                    return CompletableFuture.completedFuture(Done.getInstance());
                });
    }

    public static JournalTail get(ActorSystem<?> system) {
        return system.registerExtension(ID);
    }

    /** A projection's source: the events tagged {@code tag}, in journal order, after the projection's offset. */
    public SourceProvider<Offset, EventEnvelope<Object>> eventsByTag(String tag) {
        return new SourceProvider<>() {
            @Override
            public CompletionStage<Source<EventEnvelope<Object>, NotUsed>> source(
                    Supplier<CompletionStage<Optional<Offset>>> offset) {
                return offset.get().thenApply(o -> eventsByTag(tag, o.map(JournalTail::ordering).orElse(0L)));
            }

            @Override
            public Offset extractOffset(EventEnvelope<Object> envelope) {
                return envelope.offset();
            }

            @Override
            public long extractCreationTime(EventEnvelope<Object> envelope) {
                return envelope.timestamp();
            }
        };
    }

    /** The events tagged {@code tag} after ordering {@code after}; never completes. */
    public Source<EventEnvelope<Object>, NotUsed> eventsByTag(String tag, long after) {
        return Source.unfoldAsync(after, from -> head.await(tag, from)
                        .thenApplyAsync(bound -> Optional.of(read(tag, from, bound)), readers))
                .mapConcat(events -> events);
    }

    private static long ordering(Offset offset) {
        if (offset instanceof Sequence s) {
            return s.value();
        }
        if (offset == Offset.noOffset()) {
            return 0L;
        }
        throw new IllegalArgumentException("a journal offset is a Sequence, got " + offset);
    }

    /** Up to a batch of the tag's events in (from, bound], and the ordering to read after next. */
    private Pair<Long, List<EventEnvelope<Object>>> read(String tag, long from, long bound) {
        List<EventEnvelope<Object>> events = new ArrayList<>();
        int rows = 0;
        long last = from;
        try (Connection c = db.dataSource().getConnection()) {
            try (PreparedStatement s = c.prepareStatement(EVENTS_BY_TAG)) {
                s.setString(1, tag);
                s.setLong(2, from);
                s.setLong(3, bound);
                s.setInt(4, batch);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        rows++;
                        last = r.getLong(1);
                        if (!r.getBoolean(2)) {
                            events.add(envelope(r));
                        }
                    }
                }
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read events tagged " + tag + ": " + e.getMessage(), e);
        }
        // A short batch read everything up to the bound; a full one goes on from its last row.
        return Pair.create(rows == batch ? last : bound, events);
    }

    private EventEnvelope<Object> envelope(ResultSet r) throws SQLException {
        byte[] meta = r.getBytes(11);
        int metaSerId = r.getInt(12);
        Option<Object> metaSer = r.wasNull() ? Option.empty() : Option.apply(metaSerId);
        JournalTables.JournalPekkoSerializationRow row = new JournalTables.JournalPekkoSerializationRow(
                r.getLong(1), r.getBoolean(2), r.getString(3), r.getLong(4), r.getString(5), r.getLong(6),
                r.getString(7), r.getBytes(8), r.getInt(9), r.getString(10), Option.apply(meta), metaSer,
                Option.apply(r.getString(13)));
        PersistentRepr repr = PekkoSerialization.fromRow(serialization, row).get()._1();
        return EventEnvelope.create(Offset.sequence(row.ordering()), repr.persistenceId(), repr.sequenceNr(),
                repr.payload(), repr.timestamp());
    }
}
