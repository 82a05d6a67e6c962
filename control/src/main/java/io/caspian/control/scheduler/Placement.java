package io.caspian.control.scheduler;

import java.util.List;

/** The pools chosen, best first; when fewer than asked could be found, {@code shortfall} says why. */
public record Placement(List<PoolCandidate> pools, String shortfall) {
    public Placement {
        pools = List.copyOf(pools);
    }

    public boolean complete() {
        return shortfall == null;
    }
}
