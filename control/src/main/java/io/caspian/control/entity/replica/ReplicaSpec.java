package io.caspian.control.entity.replica;

/** Where a replica lives, how big it is, and which volume owns it (empty for none). */
public record ReplicaSpec(String pool, String node, long size, boolean thin, String volume) {
    /** Returns why this spec is unusable, or null. */
    public String problem() {
        if (pool.isBlank() || node.isBlank()) {
            return "pool and node must not be empty";
        }
        return size <= 0 ? "size must be positive, got " + size : null;
    }
}
