package io.caspian.control.reconciler;

import io.caspian.control.reconciler.ReportedChildren.Change;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How long a change that state reports show, and that the bus carries too, waits for the bus before the reports
 * journal it ({@link ReportedChildren}). A change counts as waiting from the first report that shows it for as long as
 * every later report shows it; once the bus delivers it the reports stop showing it and it is forgotten, as are
 * all of a nexus's when it goes. Kept in
 * memory: a control-plane restart starts every wait again, which only delays the fallback.
 */
final class BusGrace {
    private final Clock clock;
    private final Duration grace;
    private final Map<String, Map<Change, Instant>> waiting = new ConcurrentHashMap<>();

    BusGrace(Clock clock, Duration grace) {
        this.clock = clock;
        this.grace = grace;
    }

    /**
     * Of the changes that the latest report of {@code nexus} shows and the bus has not delivered, those that have
     * waited the whole grace: the bus did not bring them (Kafka away), so the report leads.
     */
    List<Change> due(String nexus, List<Change> shown) {
        Instant now = clock.instant();
        Map<Change, Instant> before = waiting.getOrDefault(nexus, Map.of());
        Map<Change, Instant> still = new HashMap<>();
        List<Change> due = new ArrayList<>();
        for (Change c : shown) {
            Instant since = before.getOrDefault(c, now);
            if (now.isBefore(since.plus(grace))) {
                still.put(c, since);
            } else {
                due.add(c);
            }
        }
        if (still.isEmpty()) {
            waiting.remove(nexus);
        } else {
            waiting.put(nexus, still);
        }
        return due;
    }

    /** The nexus is gone (unpublished or destroyed): a later one of the same id starts every wait afresh. */
    void forget(String nexus) {
        waiting.remove(nexus);
    }
}
