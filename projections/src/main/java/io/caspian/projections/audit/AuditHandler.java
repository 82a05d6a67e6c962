package io.caspian.projections.audit;

import io.caspian.control.journal.PooledSession;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Writes a group of events into {@code audit_events} in the projection's transaction, which also stores the offset:
 * a row exists exactly when the offset past it does. Owners learnt from creation events are kept in
 * {@code audit_entities} in the same transaction, so later events of the entity find their volume and node.
 */
public final class AuditHandler extends JdbcHandler<List<EventEnvelope<Object>>, PooledSession> {
    private final AuditStore store;

    public AuditHandler(AuditStore store) {
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
        Map<String, Owner> owners = new HashMap<>();
        Map<String, Owner> changed = new HashMap<>();
        List<AuditRow> rows = new ArrayList<>(envelopes.size());
        for (EventEnvelope<Object> e : envelopes) {
            String pid = e.persistenceId();
            int bar = pid.indexOf('|');
            String type = bar < 0 ? pid : pid.substring(0, bar);
            String id = pid.substring(bar + 1);
            Owner before = owners.get(pid);
            if (before == null) {
                before = store.owner(c, type, id);
            }
            Owner after = Ownership.after(id, e.event(), before);
            owners.put(pid, after);
            if (Ownership.changes(e.event()) && !after.equals(before)) {
                changed.put(pid, after);
            }
            rows.add(AuditRows.of(pid, e.sequenceNr(), e.timestamp(), e.event(), after));
        }
        for (Map.Entry<String, Owner> o : changed.entrySet()) {
            int bar = o.getKey().indexOf('|');
            store.saveOwner(c, o.getKey().substring(0, bar), o.getKey().substring(bar + 1), o.getValue());
        }
        store.insert(c, rows);
    }
}
