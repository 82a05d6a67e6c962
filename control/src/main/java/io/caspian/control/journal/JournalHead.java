package io.caspian.control.journal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far the journal is final — every ordering up to {@link #complete} is committed or will never be — and, for
 * each tag, its newest event up to there. Projections wait on it ({@link #await}) instead of polling the journal.
 *
 * <p>A database hands out orderings before the transactions that hold them commit, so the newest committed
 * ordering can sit above one still in flight; a reader that moved past it would lose that event for good. When
 * only this JVM writes the journal ({@link JournalSettings#exclusive()}), the newest ordering read while no write
 * that began before the read is still under way ({@link JournalWrites}) is final: a hole below it is a write that
 * failed, given up at once rather than after a timeout. The head moves when a write ends, so an event reaches the
 * projections within milliseconds and an idle journal costs no query at all (one every
 * {@code idle-check-interval} as a safety net). When other JVMs may write (PostgreSQL shared by control nodes), the
 * head reads the orderings every {@code poll-interval} and moves over a hole only once it has stayed open for
 * {@code gap-timeout}, as the plugin's own sequence actor does — or at once when the event after it was written
 * longer ago than that, so a start on a journal with old holes does not wait on each.
 *
 * <p>All state is confined to one thread.
 */
final class JournalHead implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JournalHead.class);
    private static final String MAX_ORDERING = "SELECT COALESCE(MAX(\"ordering\"), 0) FROM \"event_journal\"";
    private static final String ORDERINGS = "SELECT \"ordering\", \"write_timestamp\" FROM \"event_journal\" "
            + "WHERE \"ordering\" > ? ORDER BY \"ordering\" LIMIT ?";
    private static final String TAG_HEADS = "SELECT \"tag\", MAX(\"event_id\") FROM \"event_tag\" "
            + "WHERE \"event_id\" > ? AND \"event_id\" <= ? GROUP BY \"tag\"";

    private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** {@code caspian.control.journal-tail}. */
    record Settings(Duration pollInterval, Duration idleCheckInterval, Duration gapTimeout, int scanBatch) {
    }

    private record Waiter(long after, CompletableFuture<Long> bound) {
    }

    private final DataSource db;
    private final JournalWrites writes;
    private final boolean exclusive;
    private final Settings settings;
    private final ScheduledExecutorService thread;
    private final Runnable onWriteEnd = this::refreshSoon;
    private final AtomicBoolean refreshQueued = new AtomicBoolean();

    /** -1 until the first refresh. */
    private long complete = -1;
    /** Where the head started: a tag with no event seen since may have events up to here. */
    private long startedAt;
    private final Map<String, Long> tagHeads = new HashMap<>();
    private final Map<String, List<Waiter>> waiters = new HashMap<>();
    /** With H2: a newest ordering read (-1: none) that is final once every write begun by pendingMark has ended. */
    private long pendingMax = -1;
    private long pendingMark;
    /** The first ordering of the hole the scan stopped at (-1: none), and when it was first seen. */
    private long holeFrom = -1;
    private long holeSeenNanos;
    private long lastWarnNanos = System.nanoTime() - WARN_EVERY_NANOS - 1;

    JournalHead(DataSource db, JournalWrites writes, boolean exclusive, Settings settings) {
        this.db = db;
        this.writes = writes;
        this.exclusive = exclusive;
        this.settings = settings;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "caspian-journal-head");
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        writes.onEnd(onWriteEnd);
        Duration every = exclusive ? settings.idleCheckInterval() : settings.pollInterval();
        thread.scheduleWithFixedDelay(this::refresh, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Completes, with the final ordering to read up to, once {@code tag} has an event after {@code after} that is
     * final (at once if it has one now).
     */
    CompletionStage<Long> await(String tag, long after) {
        CompletableFuture<Long> bound = new CompletableFuture<>();
        thread.execute(() -> {
            if (complete >= 0 && head(tag) > after) {
                bound.complete(complete);
            } else {
                waiters.computeIfAbsent(tag, t -> new ArrayList<>()).add(new Waiter(after, bound));
            }
        });
        return bound;
    }

    private long head(String tag) {
        return tagHeads.getOrDefault(tag, startedAt);
    }

    /** Coalesces the refreshes that writes ask for: one queued at a time, queued again if asked while running. */
    private void refreshSoon() {
        if (refreshQueued.compareAndSet(false, true)) {
            try {
                thread.execute(() -> {
                    refreshQueued.set(false);
                    refresh();
                });
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                refreshQueued.set(false);
            }
        }
    }

    private void refresh() {
        try (Connection c = db.getConnection()) {
            try {
                boolean more = exclusive ? refreshExclusive(c) : refreshShared(c);
                if (more) {
                    refreshSoon();
                }
            } finally {
                c.rollback();
            }
        } catch (SQLException | RuntimeException e) {
            // Every failed journal write asks again, so say it once in a while; try again in a second, not only at
            // the next periodic check (30 s with H2), which would hold the projections back that long.
            long now = System.nanoTime();
            if (now - lastWarnNanos > WARN_EVERY_NANOS) {
                lastWarnNanos = now;
                LOG.warn("cannot read the journal's head: {}", e.toString());
            }
            if (!thread.isShutdown()) {
                thread.schedule(this::refreshSoon, 1, TimeUnit.SECONDS);
            }
        }
    }

    private boolean refreshExclusive(Connection c) throws SQLException {
        if (pendingMax >= 0 && writes.endedBy(pendingMark)) {
            advance(c, pendingMax);
            pendingMax = -1;
        }
        long max;
        try (PreparedStatement s = c.prepareStatement(MAX_ORDERING); ResultSet r = s.executeQuery()) {
            r.next();
            max = r.getLong(1);
        }
        // Taken after the read: a write begun later gets an ordering above max. One begun before may hold a lower
        // ordering it has not committed yet, so max is final once those writes have ended (each end refreshes).
        // Under a steady stream of writes one is nearly always in flight: the head keeps the oldest candidate until
        // its own writes have ended rather than a new one each time, which would never be final.
        long mark = writes.mark();
        if (writes.endedBy(mark)) {
            advance(c, max);
            pendingMax = -1;
        } else if (pendingMax < 0 && max > complete) {
            pendingMax = max;
            pendingMark = mark;
        }
        return false;
    }

    /** Moves over the orderings read that follow each other; returns whether a full batch asks for another read. */
    private boolean refreshShared(Connection c) throws SQLException {
        long next = Math.max(complete, 0);
        int read = 0;
        boolean hole = false;
        try (PreparedStatement s = c.prepareStatement(ORDERINGS)) {
            s.setLong(1, next);
            s.setInt(2, settings.scanBatch());
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    read++;
                    long o = r.getLong(1);
                    if (o != next + 1 && !holeGivenUp(next + 1, o - 1, r.getLong(2))) {
                        hole = true;
                        break;
                    }
                    next = o;
                }
            }
        }
        advance(c, next);
        return !hole && read == settings.scanBatch();
    }

    /**
     * Whether the hole before an event written at {@code writtenAt} (its writer's clock) has been open for the gap
     * timeout: since the head first saw it, or, for a hole in history (the head starting on an old journal), since
     * that event was written — its ordering came after the hole's, so the hole's transaction is at least as old.
     */
    private boolean holeGivenUp(long from, long to, long writtenAt) {
        long age = System.currentTimeMillis() - writtenAt;
        if (age >= settings.gapTimeout().toMillis()) {
            LOG.info("journal orderings {}..{} missing, the event after them written {} ms ago: taken as never "
                    + "written", from, to, age);
            holeFrom = -1;
            return true;
        }
        if (holeFrom != from) {
            holeFrom = from;
            holeSeenNanos = System.nanoTime();
            return false;
        }
        if (System.nanoTime() - holeSeenNanos < settings.gapTimeout().toNanos()) {
            return false;
        }
        LOG.warn("journal orderings {}..{} missing for {} ms: taken as never written", from, to,
                settings.gapTimeout().toMillis());
        holeFrom = -1;
        return true;
    }

    private void advance(Connection c, long to) throws SQLException {
        if (complete < 0) {
            startedAt = to;
        } else if (to > complete) {
            try (PreparedStatement s = c.prepareStatement(TAG_HEADS)) {
                s.setLong(1, complete);
                s.setLong(2, to);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        tagHeads.put(r.getString(1), r.getLong(2));
                    }
                }
            }
        } else {
            return;
        }
        complete = to;
        for (Map.Entry<String, List<Waiter>> e : waiters.entrySet()) {
            long head = head(e.getKey());
            for (Iterator<Waiter> i = e.getValue().iterator(); i.hasNext(); ) {
                Waiter w = i.next();
                if (head > w.after()) {
                    i.remove();
                    w.bound().complete(complete);
                }
            }
        }
    }

    @Override
    public void close() {
        writes.removeListener(onWriteEnd);
        thread.shutdownNow();
    }
}
