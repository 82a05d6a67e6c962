package io.caspian.control.entity.volume;

import java.util.Map;

/**
 * What a user asks for. Node and pool labels restrict placement: a replica goes only to a pool whose labels, and
 * whose node's labels, contain every given key with the given value.
 */
public record VolumeSpec(long size, int replicas, boolean thin, Map<String, String> nodeLabels,
                         Map<String, String> poolLabels) {
    public VolumeSpec {
        nodeLabels = Map.copyOf(nodeLabels);
        poolLabels = Map.copyOf(poolLabels);
    }

    /** Returns why this spec is unusable, or null. */
    public String problem() {
        if (size <= 0) {
            return "size must be positive, got " + size;
        }
        if (replicas < 1) {
            return "replicas must be at least 1, got " + replicas;
        }
        return null;
    }

    public VolumeSpec withReplicas(int n) {
        return new VolumeSpec(size, n, thin, nodeLabels, poolLabels);
    }
}
