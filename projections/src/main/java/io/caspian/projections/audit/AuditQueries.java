package io.caspian.projections.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** Reads {@code audit_events} page by page; each filter is served by one of the table's indexes. */
public final class AuditQueries {
    private final DataSource dataSource;

    public AuditQueries(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public EventPage find(EventQuery q) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT id, event_id, entity_type, entity_id, volume_id, node, "
                + "event_type, event_time, sequence_nr, payload FROM audit_events WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        eq(sql, args, "volume_id", q.volume());
        eq(sql, args, "node", q.node());
        eq(sql, args, "entity_id", q.entity());
        if (!q.types().isEmpty()) {
            sql.append(" AND event_type IN (").append("?, ".repeat(q.types().size() - 1)).append("?)");
            args.addAll(q.types());
        }
        if (q.since() != null) {
            sql.append(" AND event_time >= ?");
            args.add(q.since());
        }
        if (q.until() != null) {
            sql.append(" AND event_time < ?");
            args.add(q.until());
        }
        String cmp = q.newestFirst() ? "<" : ">";
        if (q.after() != null) {
            sql.append(" AND (event_time ").append(cmp).append(" ? OR (event_time = ? AND id ").append(cmp)
                    .append(" ?))");
            args.add(q.after().timeMillis());
            args.add(q.after().timeMillis());
            args.add(q.after().rowId());
        }
        String dir = q.newestFirst() ? " DESC" : " ASC";
        sql.append(" ORDER BY ");
        String leading = leadingColumn(q);
        if (leading != null) {
            // Constant under the filter, so the order is the same; it lets H2 read the index in order and stop at
            // the limit instead of sorting all of a volume's rows (PostgreSQL does so either way).
            sql.append(leading).append(dir).append(", ");
        }
        sql.append("event_time").append(dir).append(", id").append(dir).append(" LIMIT ?");
        args.add(q.limit() + 1);

        List<EventPage.Stored> rows = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                s.setObject(i + 1, args.get(i));
            }
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    rows.add(new EventPage.Stored(r.getLong(1), new AuditRow(r.getString(2), r.getString(3),
                            r.getString(4), r.getString(5), r.getString(6), r.getString(7), r.getLong(8),
                            r.getLong(9), r.getString(10))));
                }
            }
            c.rollback();
        }
        if (rows.size() <= q.limit()) {
            return new EventPage(rows, null);
        }
        EventPage.Stored last = rows.get(q.limit() - 1);
        return new EventPage(rows.subList(0, q.limit()), new Cursor(last.row().timestampMillis(), last.rowId()));
    }

    /** The equality column of the index that serves {@code q}, or null for the by-time index. */
    private static String leadingColumn(EventQuery q) {
        if (q.volume() != null) {
            return "volume_id";
        }
        if (q.node() != null) {
            return "node";
        }
        if (q.entity() != null) {
            return "entity_id";
        }
        return q.types().size() == 1 ? "event_type" : null;
    }

    private static void eq(StringBuilder sql, List<Object> args, String column, String value) {
        if (value != null) {
            sql.append(" AND ").append(column).append(" = ?");
            args.add(value);
        }
    }
}
