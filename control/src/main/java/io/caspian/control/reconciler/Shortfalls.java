package io.caspian.control.reconciler;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Why each volume has fewer replicas than it should, as of its last reconciliation. Observed, not journaled: the
 * next pass over a volume finds it again from the journal and the reports, so losing it (a restart, the singleton
 * moving) costs one pass.
 */
public final class Shortfalls {
    /**
     * {@code unanswered} when an io-engine chosen for a replica did not answer (hung, unreachable), so that a create
     * it fails is a 503 (try again) and not a 422 (cannot be done).
     */
    public record Shortfall(String why, boolean unanswered) {
        static Shortfall of(String why) {
            return new Shortfall(why, false);
        }
    }

    private final Map<String, Shortfall> byVolume = new ConcurrentHashMap<>();

    public Optional<Shortfall> of(String volume) {
        return Optional.ofNullable(byVolume.get(volume));
    }

    /** The volumes last found short of replicas. */
    public Set<String> volumes() {
        return Set.copyOf(byVolume.keySet());
    }

    void put(String volume, Shortfall why) {
        byVolume.put(volume, why);
    }

    void putIfAbsent(String volume, Shortfall why) {
        byVolume.putIfAbsent(volume, why);
    }

    void remove(String volume) {
        byVolume.remove(volume);
    }
}
