package io.caspian.control.readmodel;

import io.caspian.control.entity.EntityState;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.replica.ReplicaEntity;
import io.caspian.control.service.ControlException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Reads the read model. {@link #current} and {@link #replicasInPool} first wait, bounded, until every event
 * journaled before the call is in the tables, so a client that got an answer to a command sees its effect;
 * {@link #ids} and {@link #projected} do not wait (the sweeps check each id on the write side before acting).
 */
public final class ReadModel {
    private static final long POLL_MILLIS = 20;

    private final DataSource db;
    private final ReadModelStore store;
    private final Duration wait;

    public ReadModel(DataSource db, ReadModelStore store, Duration wait) {
        this.db = db;
        this.store = store;
        this.wait = wait;
    }

    /** The live entities of {@code kind} as of this call or later, sorted by id. */
    public <S extends EntityState> List<S> current(ModelKind<?, S> kind) {
        awaitCaughtUp(kind.tag());
        List<byte[]> rows = read(c -> store.states(c, kind.tag()));
        List<S> out = new ArrayList<>(rows.size());
        for (byte[] row : rows) {
            out.add(kind.decoded(row));
        }
        out.sort(Comparator.comparing(EntityState::id));
        return out;
    }

    /** Ids of the live entities of {@code kind} as last projected (possibly behind the journal), sorted. */
    public List<String> ids(ModelKind<?, ?> kind) {
        List<String> ids = new ArrayList<>(read(c -> store.ids(c, kind.tag())));
        ids.sort(Comparator.naturalOrder());
        return ids;
    }

    /**
     * The live entities of {@code kind} with ids from {@code from} to {@code to} (inclusive) as last projected
     * (possibly behind the journal), by id: a filter for the sweeps, which read an entity before acting on it.
     */
    public <S extends EntityState> Map<String, S> projected(ModelKind<?, S> kind, String from, String to) {
        Map<String, byte[]> rows = read(c -> store.statesBetween(c, kind.tag(), from, to));
        Map<String, S> out = new HashMap<>(rows.size() * 2);
        rows.forEach((id, row) -> out.put(id, kind.decoded(row)));
        return out;
    }

    /** The ids of {@link #projected}, without reading the states. */
    public java.util.Set<String> projectedIds(ModelKind<?, ?> kind, String from, String to) {
        return new java.util.HashSet<>(read(c -> store.idsBetween(c, kind.tag(), from, to)));
    }

    /** Ids of the live replicas in {@code pool} as of this call or later, sorted. */
    public List<String> replicasInPool(String pool) {
        awaitCaughtUp(ReplicaEntity.TAG);
        List<String> ids = new ArrayList<>(read(c -> store.idsInPool(c, ReplicaEntity.TAG, pool)));
        ids.sort(Comparator.naturalOrder());
        return ids;
    }

    private void awaitCaughtUp(String tag) {
        long head = read(store::journalHead);
        long deadline = System.nanoTime() + wait.toNanos();
        while (read(c -> {
            long passed = store.progress(c, tag);
            return passed < head && store.pending(c, tag, passed, head);
        })) {
            if (System.nanoTime() - deadline > 0) {
                throw new ControlException(Reply.Kind.UNAVAILABLE, "the read model of " + tag
                        + "s has not caught up with the journal within " + wait.toMillis() + " ms; try again");
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ControlException(Reply.Kind.UNAVAILABLE, "interrupted while waiting for the read model");
            }
        }
    }

    private interface Query<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T read(Query<T> query) {
        try (Connection c = db.getConnection()) {
            try {
                return query.run(c);
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw new ControlException(Reply.Kind.UNAVAILABLE, "cannot read the read model: " + e.getMessage());
        }
    }
}
