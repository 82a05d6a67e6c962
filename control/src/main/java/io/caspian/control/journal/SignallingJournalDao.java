package io.caspian.control.journal;

import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;
import scala.runtime.BoxedUnit;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;

/**
 * The journal's data access ({@code jdbc-journal.dao}): the plugin's own, with each batch of rows it inserts
 * counted in {@link JournalWrites} from before the database gives the rows their orderings until the transaction
 * has ended. That is what lets {@link JournalHead} tell a pending ordering from a lost one without waiting, and wake
 * the projections when an event is written.
 */
public final class SignallingJournalDao extends DefaultJournalDao {
    private final JournalWrites writes;

    /** The constructor the plugin calls, by reflection, with these argument types. */
    public SignallingJournalDao(JdbcBackend.JdbcDatabaseDef db, JdbcProfile profile, JournalConfig config,
                                Serialization serialization, ExecutionContext ec, Materializer mat) {
        super(db, profile, config, serialization, ec, mat);
        this.writes = JournalWrites.of(JournalSettings.ofJournal(serialization.system().settings().config()).url());
    }

    @Override
    public Future<BoxedUnit> writeJournalRows(
            Seq<Tuple2<JournalTables.JournalPekkoSerializationRow, Set<String>>> rows) {
        long id = writes.begin();
        Future<BoxedUnit> written;
        try {
            written = super.writeJournalRows(rows);
        } catch (RuntimeException e) {
            writes.end(id);
            throw e;
        }
        FutureConverters.asJava(written).whenComplete((ok, e) -> writes.end(id));
        return written;
    }
}
