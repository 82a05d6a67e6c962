package io.caspian.control.readmodel;

import io.caspian.control.journal.JournalSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The read model's SQL, on a connection whose transaction the caller owns: rows of live entities, and per tag the
 * journal ordering its projection has passed.
 */
public final class ReadModelStore {
    /** A stored state and the sequence number of the entity's event it reflects. */
    public record Row(long sequenceNr, byte[] state) {
    }

    private static final String ROW = "SELECT sequence_nr, state FROM read_model_entities "
            + "WHERE entity_type = ? AND entity_id = ?";
    private static final String DELETE = "DELETE FROM read_model_entities WHERE entity_type = ? AND entity_id = ?";
    private static final String STATES = "SELECT state FROM read_model_entities WHERE entity_type = ?";
    private static final String IDS = "SELECT entity_id FROM read_model_entities WHERE entity_type = ?";
    private static final String BETWEEN = "SELECT entity_id, state FROM read_model_entities "
            + "WHERE entity_type = ? AND entity_id >= ? AND entity_id <= ?";
    private static final String IDS_BETWEEN = "SELECT entity_id FROM read_model_entities "
            + "WHERE entity_type = ? AND entity_id >= ? AND entity_id <= ?";
    private static final String IN_POOL = "SELECT entity_id FROM read_model_entities "
            + "WHERE entity_type = ? AND pool_id = ?";
    private static final String PROGRESS = "SELECT event_ordering FROM read_model_progress WHERE tag = ?";
    // The journal's own tables (pekko-persistence-jdbc's schema, names quoted as it writes them).
    private static final String JOURNAL_HEAD = "SELECT MAX(\"ordering\") FROM \"event_journal\"";
    private static final String PENDING = "SELECT 1 FROM \"event_tag\" WHERE \"event_id\" > ? AND \"event_id\" <= ? "
            + "AND \"tag\" = ? LIMIT 1";

    private final String upsertRow;
    private final String upsertProgress;

    public ReadModelStore(JournalSettings.Kind kind) {
        if (kind == JournalSettings.Kind.H2) {
            upsertRow = "MERGE INTO read_model_entities (entity_type, entity_id, sequence_nr, pool_id, state) "
                    + "KEY (entity_type, entity_id) VALUES (?, ?, ?, ?, ?)";
            upsertProgress = "MERGE INTO read_model_progress (tag, event_ordering) KEY (tag) VALUES (?, ?)";
        } else {
            upsertRow = "INSERT INTO read_model_entities (entity_type, entity_id, sequence_nr, pool_id, state) "
                    + "VALUES (?, ?, ?, ?, ?) ON CONFLICT (entity_type, entity_id) DO UPDATE SET "
                    + "sequence_nr = EXCLUDED.sequence_nr, pool_id = EXCLUDED.pool_id, state = EXCLUDED.state";
            upsertProgress = "INSERT INTO read_model_progress (tag, event_ordering) VALUES (?, ?) "
                    + "ON CONFLICT (tag) DO UPDATE SET event_ordering = EXCLUDED.event_ordering";
        }
    }

    public Optional<Row> row(Connection c, String tag, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(ROW)) {
            s.setString(1, tag);
            s.setString(2, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(new Row(r.getLong(1), r.getBytes(2))) : Optional.empty();
            }
        }
    }

    public void save(Connection c, String tag, String id, long sequenceNr, String pool, byte[] state)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement(upsertRow)) {
            s.setString(1, tag);
            s.setString(2, id);
            s.setLong(3, sequenceNr);
            if (pool == null) {
                s.setNull(4, Types.VARCHAR);
            } else {
                s.setString(4, pool);
            }
            s.setBytes(5, state);
            s.executeUpdate();
        }
    }

    public void delete(Connection c, String tag, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(DELETE)) {
            s.setString(1, tag);
            s.setString(2, id);
            s.executeUpdate();
        }
    }

    public void saveProgress(Connection c, String tag, long ordering) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(upsertProgress)) {
            s.setString(1, tag);
            s.setLong(2, ordering);
            s.executeUpdate();
        }
    }

    public List<byte[]> states(Connection c, String tag) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(STATES)) {
            s.setString(1, tag);
            s.setFetchSize(1000);
            List<byte[]> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getBytes(1));
                }
            }
            return out;
        }
    }

    /** The stored states of the entities of {@code tag} with ids from {@code from} to {@code to} (inclusive). */
    public java.util.Map<String, byte[]> statesBetween(Connection c, String tag, String from, String to)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement(BETWEEN)) {
            s.setString(1, tag);
            s.setString(2, from);
            s.setString(3, to);
            s.setFetchSize(1000);
            java.util.Map<String, byte[]> out = new java.util.HashMap<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.put(r.getString(1), r.getBytes(2));
                }
            }
            return out;
        }
    }

    /** The ids of {@link #statesBetween}. */
    public List<String> idsBetween(Connection c, String tag, String from, String to) throws SQLException {
        return strings(c, IDS_BETWEEN, tag, from, to);
    }

    public List<String> ids(Connection c, String tag) throws SQLException {
        return strings(c, IDS, tag);
    }

    public List<String> idsInPool(Connection c, String tag, String pool) throws SQLException {
        return strings(c, IN_POOL, tag, pool);
    }

    /** The journal ordering the tag's projection has passed; 0 before its first event. */
    public long progress(Connection c, String tag) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(PROGRESS)) {
            s.setString(1, tag);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getLong(1) : 0;
            }
        }
    }

    /** The highest ordering journaled so far (any tag); 0 for an empty journal. */
    public long journalHead(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(JOURNAL_HEAD); ResultSet r = s.executeQuery()) {
            return r.next() ? r.getLong(1) : 0;
        }
    }

    /** Whether an event of {@code tag} lies in the journal after {@code after} and up to {@code upTo}. */
    public boolean pending(Connection c, String tag, long after, long upTo) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(PENDING)) {
            s.setLong(1, after);
            s.setLong(2, upTo);
            s.setString(3, tag);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    /** The first column of {@code sql}, run with {@code params} in order. */
    private static List<String> strings(Connection c, String sql, String... params) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setString(i + 1, params[i]);
            }
            s.setFetchSize(1000);
            List<String> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
            return out;
        }
    }
}
