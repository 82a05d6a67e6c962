package io.caspian.control.reconciler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How long a faulted child may take to come back before its replica is replaced, and how often it is asked back
 * meanwhile (at most every third of the wait, so a child that faults again is asked again before the period ends).
 * A transient fault — a restarted io-engine, a network blip — then costs a partial rebuild of what the child
 * missed, not a full copy onto a new replica. Times come from the injected clock; the state is per volume and is
 * observed, not journaled: a restarted control plane starts every wait again, which only delays a replacement.
 */
final class FaultedChildWait {
    private final Clock clock;
    private final Duration period;
    /**
     * Per volume, per faulted child's replica (not its URI, which changes when the target moves to another node):
     * when it was first seen faulted and when it was last asked back (null: never).
     */
    private final Map<String, Map<String, Times>> volumes = new ConcurrentHashMap<>();

    private static final class Times {
        final Instant since;
        Instant askedBack;

        Times(Instant since) {
            this.since = since;
        }
    }

    FaultedChildWait(Clock clock, Duration period) {
        this.clock = clock;
        this.period = period;
    }

    Duration period() {
        return period;
    }

    /** Keeps the clocks of {@code faultedReplicas} only: a child no longer faulted starts afresh next time. */
    void retain(String volume, Set<String> faultedReplicas) {
        Map<String, Times> children = volumes.get(volume);
        if (children != null) {
            children.keySet().retainAll(faultedReplicas);
            if (children.isEmpty()) {
                volumes.remove(volume, children);
            }
        }
    }

    /** Whether the child is still within its wait; the first call for a faulted child starts its clock. */
    boolean waiting(String volume, String replica) {
        if (period.isZero()) {
            return false;
        }
        Instant now = clock.instant();
        Times t = volumes.computeIfAbsent(volume, v -> new ConcurrentHashMap<>()).computeIfAbsent(replica,
                r -> new Times(now));
        return Duration.between(t.since, now).compareTo(period) < 0;
    }

    /** Whether to ask the child back now; a true answer counts as the ask. Only for a child that is waiting. */
    boolean askBackNow(String volume, String replica) {
        Times t = volumes.getOrDefault(volume, Map.of()).get(replica);
        if (t == null) {
            return false;
        }
        Instant now = clock.instant();
        if (t.askedBack != null && Duration.between(t.askedBack, now).compareTo(period.dividedBy(3)) < 0) {
            return false;
        }
        t.askedBack = now;
        return true;
    }

    /** Drops every clock of a deleted volume. */
    void forget(String volume) {
        volumes.remove(volume);
    }

    /** How many volumes hold a clock (a deleted volume must hold none). */
    int volumesTracked() {
        return volumes.size();
    }
}
