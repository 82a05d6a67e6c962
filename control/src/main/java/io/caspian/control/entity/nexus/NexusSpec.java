package io.caspian.control.entity.nexus;

import java.util.List;

/**
 * Which node, how big, for which volume, the children it starts with, and its generation: one more than the last
 * incarnation's, so that replicas refuse the writes of any older one (docs/adr/nexus-fencing.md); 0 fences nothing.
 */
public record NexusSpec(String node, long size, String volume, List<Child> children, long generation) {
    public NexusSpec {
        children = List.copyOf(children);
    }

    public NexusSpec(String node, long size, String volume, List<Child> children) {
        this(node, size, volume, children, 0);
    }

    /** Returns why this spec is unusable, or null. */
    public String problem() {
        if (node.isBlank()) {
            return "node must not be empty";
        }
        if (size <= 0) {
            return "size must be positive, got " + size;
        }
        if (generation < 0) {
            return "generation must not be negative, got " + generation;
        }
        return children.isEmpty() ? "a nexus needs at least one child" : null;
    }
}
