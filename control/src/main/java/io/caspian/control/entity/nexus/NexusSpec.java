package io.caspian.control.entity.nexus;

import java.util.List;

/** Which node, how big, for which volume, and the children it starts with. */
public record NexusSpec(String node, long size, String volume, List<Child> children) {
    public NexusSpec {
        children = List.copyOf(children);
    }

    /** Returns why this spec is unusable, or null. */
    public String problem() {
        if (node.isBlank()) {
            return "node must not be empty";
        }
        if (size <= 0) {
            return "size must be positive, got " + size;
        }
        return children.isEmpty() ? "a nexus needs at least one child" : null;
    }
}
