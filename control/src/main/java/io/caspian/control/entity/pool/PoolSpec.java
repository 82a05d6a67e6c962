package io.caspian.control.entity.pool;

import java.util.Map;

/** Which node, which disk URI, which labels. */
public record PoolSpec(String node, String disk, Map<String, String> labels) {
    public PoolSpec {
        labels = Map.copyOf(labels);
    }

    /** Returns why this spec is unusable, or null. */
    public String problem() {
        if (node.isBlank()) {
            return "node must not be empty";
        }
        if (disk.isBlank()) {
            return "disk URI must not be empty";
        }
        return null;
    }
}
