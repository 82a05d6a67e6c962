package io.caspian.control.scheduler;

import java.util.Map;

/** A node as placement sees it: reachable, accepting work, its labels, how many nexuses it already runs. */
public record NodeCandidate(String id, boolean online, boolean cordoned, Map<String, String> labels, int nexuses) {
    public NodeCandidate {
        labels = Map.copyOf(labels);
    }

    public boolean usable() {
        return online && !cordoned;
    }
}
