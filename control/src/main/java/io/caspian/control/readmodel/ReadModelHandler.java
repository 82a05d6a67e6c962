package io.caspian.control.readmodel;

import io.caspian.control.entity.EntityState;
import io.caspian.control.journal.PooledSession;
import java.sql.Connection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Folds a group of one tag's events into the rows of their entities, in the projection's transaction, which also
 * stores the projection's offset and this tag's progress: a row reflects exactly the events the offset has passed.
 * An entity that is not ACTIVE after the group (destroyed) loses its row. An event at or below the sequence number
 * a row already reflects changes nothing, so a group applied twice leaves the same rows.
 */
public final class ReadModelHandler<E, S extends EntityState>
        extends JdbcHandler<List<EventEnvelope<Object>>, PooledSession> {
    private final ModelKind<E, S> kind;
    private final ReadModelStore store;

    private record Current<S>(long sequenceNr, S state) {
    }

    public ReadModelHandler(ModelKind<E, S> kind, ReadModelStore store) {
        this.kind = kind;
        this.store = store;
    }

    @Override
    public void process(PooledSession session, List<EventEnvelope<Object>> envelopes) throws Exception {
        session.withConnection(c -> {
            write(c, envelopes);
            return null;
        });
    }

    private void write(Connection c, List<EventEnvelope<Object>> envelopes) throws Exception {
        Map<String, Current<S>> touched = new LinkedHashMap<>();
        long ordering = 0;
        for (EventEnvelope<Object> e : envelopes) {
            String pid = e.persistenceId();
            String id = pid.substring(pid.indexOf('|') + 1);
            Current<S> current = touched.get(id);
            if (current == null) {
                current = store.row(c, kind.tag(), id)
                        .map(r -> new Current<>(r.sequenceNr(), kind.decoded(r.state())))
                        .orElseGet(() -> new Current<>(0, kind.empty(id)));
            }
            if (e.sequenceNr() > current.sequenceNr()) {
                current = new Current<>(e.sequenceNr(), kind.apply(current.state(), e.event()));
            }
            touched.put(id, current);
            if (!(e.offset() instanceof Sequence s)) {
                throw new IllegalStateException("the read model needs the journal's sequence offsets, got "
                        + e.offset());
            }
            ordering = Math.max(ordering, s.value());
        }
        for (Map.Entry<String, Current<S>> t : touched.entrySet()) {
            S state = t.getValue().state();
            if (state.active()) {
                store.save(c, kind.tag(), t.getKey(), t.getValue().sequenceNr(), kind.pool().apply(state),
                        kind.encode().apply(state));
            } else {
                store.delete(c, kind.tag(), t.getKey());
            }
        }
        store.saveProgress(c, kind.tag(), ordering);
    }
}
