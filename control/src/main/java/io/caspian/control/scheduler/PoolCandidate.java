package io.caspian.control.scheduler;

import io.caspian.events.Health;
import java.util.Map;

/**
 * A pool as placement sees it: health and space as its io-engine last reported them (used = allocated bytes,
 * committed = sum of replica sizes, thin or thick), labels as the user gave them.
 */
public record PoolCandidate(String name, String node, Map<String, String> labels, Health status, long capacity,
                            long used, long committed, boolean volatileDisk) {
    public PoolCandidate {
        labels = Map.copyOf(labels);
    }

    /** A pool on a persistent disk. */
    public PoolCandidate(String name, String node, Map<String, String> labels, Health status, long capacity,
                         long used, long committed) {
        this(name, node, labels, status, capacity, used, committed, false);
    }

    public long free() {
        return Math.max(0, capacity - used);
    }
}
