package io.caspian.control.journal;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The journal writes under way in this JVM against one database, and who is told when one ends. The journal's
 * data access ({@link SignallingJournalDao}) counts each write in before the database hands out its orderings and
 * out once it has committed or failed; {@link JournalHead} is told of every end, so a projection hears of a new
 * event at once instead of polling for it.
 *
 * <p>One instance per database URL for the whole JVM, not per actor system: two actor systems of one JVM (tests,
 * a restart in place) writing one in-memory or file database must see each other's writes in flight, or one of
 * them could take a pending ordering for a final one.
 */
public final class JournalWrites {
    private static final ConcurrentMap<String, JournalWrites> BY_URL = new ConcurrentHashMap<>();

    private final AtomicLong begun = new AtomicLong();
    private final ConcurrentSkipListSet<Long> inFlight = new ConcurrentSkipListSet<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    JournalWrites() {
    }

    /** The writes against the database at {@code url}. */
    public static JournalWrites of(String url) {
        return BY_URL.computeIfAbsent(url, u -> new JournalWrites());
    }

    /** Counts a write in; to be called before the write can be given an ordering. Returns its id for {@link #end}. */
    long begin() {
        long id = begun.incrementAndGet();
        inFlight.add(id);
        return id;
    }

    /** Counts a write out, committed or failed, and tells the listeners. */
    void end(long id) {
        inFlight.remove(id);
        for (Runnable l : listeners) {
            l.run();
        }
    }

    /** Every write begun so far: a later {@link #endedBy} with it says whether they have all ended. */
    long mark() {
        return begun.get();
    }

    /** Whether every write begun by {@code mark} has ended. */
    boolean endedBy(long mark) {
        Long lowest = inFlight.ceiling(Long.MIN_VALUE);
        return lowest == null || lowest > mark;
    }

    /** {@code listener} runs, on the writing thread, after each write ends; it must only hand work off. */
    void onEnd(Runnable listener) {
        listeners.add(listener);
    }

    void removeListener(Runnable listener) {
        listeners.remove(listener);
    }
}
