package io.caspian.projections.audit;

import io.caspian.control.journal.JournalSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;

/** Writes audit rows and entity owners on a connection the caller's transaction owns. */
public final class AuditStore {
    private static final String INSERT = "INSERT INTO audit_events (event_id, entity_type, entity_id, volume_id, "
            + "node, event_type, event_time, sequence_nr, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String OWNER = "SELECT volume_id, node FROM audit_entities "
            + "WHERE entity_type = ? AND entity_id = ?";

    private final String upsertOwner;

    public AuditStore(JournalSettings.Kind kind) {
        this.upsertOwner = kind == JournalSettings.Kind.H2
                ? "MERGE INTO audit_entities (entity_type, entity_id, volume_id, node) KEY (entity_type, entity_id) "
                        + "VALUES (?, ?, ?, ?)"
                : "INSERT INTO audit_entities (entity_type, entity_id, volume_id, node) VALUES (?, ?, ?, ?) "
                        + "ON CONFLICT (entity_type, entity_id) DO UPDATE SET volume_id = EXCLUDED.volume_id, "
                        + "node = EXCLUDED.node";
    }

    public Owner owner(Connection c, String entityType, String entityId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(OWNER)) {
            s.setString(1, entityType);
            s.setString(2, entityId);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Owner.of(r.getString(1), r.getString(2)) : Owner.NONE;
            }
        }
    }

    public void saveOwner(Connection c, String entityType, String entityId, Owner owner) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(upsertOwner)) {
            s.setString(1, entityType);
            s.setString(2, entityId);
            setNullable(s, 3, owner.volume());
            setNullable(s, 4, owner.node());
            s.executeUpdate();
        }
    }

    public void insert(Connection c, List<AuditRow> rows) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(INSERT)) {
            for (AuditRow r : rows) {
                s.setString(1, r.eventId());
                s.setString(2, r.entityType());
                s.setString(3, r.entityId());
                setNullable(s, 4, r.volume());
                setNullable(s, 5, r.node());
                s.setString(6, r.eventType());
                s.setLong(7, r.timestampMillis());
                s.setLong(8, r.sequenceNr());
                s.setString(9, r.payload());
                s.addBatch();
            }
            s.executeBatch();
        }
    }

    private static void setNullable(PreparedStatement s, int i, String v) throws SQLException {
        if (v == null) {
            s.setNull(i, Types.VARCHAR);
        } else {
            s.setString(i, v);
        }
    }
}
