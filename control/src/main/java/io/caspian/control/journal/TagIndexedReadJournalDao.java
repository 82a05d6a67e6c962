package io.caspian.control.journal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.PekkoSerialization;
import org.apache.pekko.persistence.jdbc.config.ReadJournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables;
import org.apache.pekko.persistence.jdbc.query.dao.DefaultReadJournalDao;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.scaladsl.Source;
import scala.jdk.javaapi.FutureConverters;
import scala.Option;
import scala.Tuple2;
import scala.Tuple3;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.util.Try;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * The read journal's data access ({@code jdbc-read-journal.dao}) with events-by-tag read from the tag table's
 * {@code (tag, event_id)} index. The plugin's own query filters the offset range on the journal side of the join,
 * and H2 plans it as a scan of the whole tag table on every poll, so each poll of each tag by each projection cost
 * time in proportion to the journal (160 ms a poll on 20,000 events; projections caught up at 1,300 events/s). Here
 * the range and the limit apply to the tag's own index entries: a poll reads the rows it returns and no others, on
 * H2 and PostgreSQL. An event marked deleted still takes a place in the limit, so a batch with one comes back short
 * and the stream polls again after its refresh interval: later, never lost. Everything else is the plugin's.
 */
public final class TagIndexedReadJournalDao extends DefaultReadJournalDao {
    // The names are those of the journal's schema scripts (caspian/schema/*.sql), quoted as they create them. The
    // tag's rows are picked in the subquery, ordered as the index is (tag first, though it is fixed) so that H2 reads
    // them in index order and stops at the limit instead of sorting the whole range.
    private static final String EVENTS_BY_TAG = "SELECT \"ordering\", \"deleted\", \"persistence_id\", "
            + "\"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\", "
            + "\"event_ser_id\", \"event_ser_manifest\", \"meta_payload\", \"meta_ser_id\", \"meta_ser_manifest\" "
            + "FROM \"event_journal\" WHERE \"ordering\" IN (SELECT \"event_id\" FROM \"event_tag\" "
            + "WHERE \"tag\" = ? AND \"event_id\" > ? AND \"event_id\" <= ? ORDER BY \"tag\", \"event_id\" LIMIT ?) "
            + "AND \"deleted\" = FALSE ORDER BY \"ordering\"";

    private final Serialization serialization;

    /** The constructor the plugin calls, by reflection, with these argument types. */
    public TagIndexedReadJournalDao(JdbcBackend.JdbcDatabaseDef db, JdbcProfile profile, ReadJournalConfig config,
                                    Serialization serialization, ExecutionContext ec, Materializer mat) {
        super(db, profile, config, serialization, ec, mat);
        this.serialization = serialization;
    }

    @Override
    public Source<Try<Tuple3<PersistentRepr, scala.collection.immutable.Set<String>, Object>>, NotUsed> eventsByTag(
            String tag, long offset, long maxOffset, long max) {
        // On the plugin's database threads, as its own queries run; a batch is at most max-buffer-size rows.
        SimpleJdbcAction<List<JournalTables.JournalPekkoSerializationRow>> read = SimpleJdbcAction.apply(ctx -> {
            try {
                return rows(ctx.connection(), tag, offset, maxOffset, max);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot read events tagged " + tag + ": " + e.getMessage(), e);
            }
        });
        Future<List<JournalTables.JournalPekkoSerializationRow>> rows = run(read);
        return org.apache.pekko.stream.javadsl.Source.completionStage(FutureConverters.asJava(rows))
                .mapConcat(r -> r)
                .map(row -> PekkoSerialization.fromRow(serialization, row).map(TagIndexedReadJournalDao::withNoTags))
                .asScala();
    }

    private static List<JournalTables.JournalPekkoSerializationRow> rows(Connection c, String tag, long offset,
                                                                       long maxOffset, long max) throws SQLException {
        List<JournalTables.JournalPekkoSerializationRow> rows = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(EVENTS_BY_TAG)) {
            s.setString(1, tag);
            s.setLong(2, offset);
            s.setLong(3, maxOffset);
            s.setLong(4, Math.min(max, Integer.MAX_VALUE));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    byte[] meta = r.getBytes(11);
                    int metaSerId = r.getInt(12);
                    Option<Object> metaSer = r.wasNull() ? Option.empty() : Option.apply(metaSerId);
                    rows.add(new JournalTables.JournalPekkoSerializationRow(r.getLong(1), r.getBoolean(2),
                            r.getString(3), r.getLong(4), r.getString(5), r.getLong(6), r.getString(7),
                            r.getBytes(8), r.getInt(9), r.getString(10), Option.apply(meta), metaSer,
                            Option.apply(r.getString(13))));
                }
            }
        }
        return rows;
    }

    /** The plugin does not fill an event's tags in events-by-tag either: nothing downstream reads them. */
    private static Tuple3<PersistentRepr, scala.collection.immutable.Set<String>, Object> withNoTags(
            Tuple2<PersistentRepr, Object> reprAndOrdering) {
        return Tuple3.apply(reprAndOrdering._1(), scala.collection.immutable.Set$.MODULE$.empty(),
                reprAndOrdering._2());
    }

    /**
     * Slick's {@code run} takes an action whose effect type is contravariant in Scala; Java has no variance, so the
     * plain JDBC action (all effects) is passed raw.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private <R> Future<R> run(SimpleJdbcAction<R> action) {
        return db().run((DBIOAction) action);
    }
}
