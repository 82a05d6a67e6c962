package io.caspian.control.entity.volume;

import java.util.Map;

/**
 * What a user asks for. Node and pool labels restrict placement: a replica goes only to a pool whose labels, and
 * whose node's labels, contain every given key with the given value.
 */
public record VolumeSpec(long size, int replicas, boolean thin, Map<String, String> nodeLabels,
                         Map<String, String> poolLabels) {
    /**
     * Sizes are whole blocks of the smallest block size a pool disk may have: a replica is carved in blocks, and
     * a size that is not a multiple would be refused by every io-engine after the volume was journaled. (A pool
     * on a 4096-byte-sector disk takes only multiples of 4096; it refuses the rest and placement tries another.)
     */
    public static final int BLOCK_SIZE = 512;
    /**
     * While a faulted replica awaits its rebuilt replacement the nexus holds both, so a volume may need twice its
     * replica count in nexus children; 16 keeps that within the nexus's 32 and far above any useful redundancy.
     */
    public static final int MAX_REPLICAS = 16;

    public VolumeSpec {
        nodeLabels = Map.copyOf(nodeLabels);
        poolLabels = Map.copyOf(poolLabels);
    }

    /** Returns why this spec is unusable, or null. */
    public String problem() {
        if (size <= 0) {
            return "size must be positive, got " + size;
        }
        if (size % BLOCK_SIZE != 0) {
            return "size must be a multiple of the " + BLOCK_SIZE + "-byte block size, got " + size + " (the multiple below: "
                    + (size - size % BLOCK_SIZE) + ")";
        }
        return replicaCountProblem(replicas);
    }

    /** Returns why a volume cannot have {@code replicas} replicas, or null. */
    public static String replicaCountProblem(int replicas) {
        if (replicas < 1 || replicas > MAX_REPLICAS) {
            return "replicas must be 1 to " + MAX_REPLICAS + ", got " + replicas;
        }
        return null;
    }

    public VolumeSpec withReplicas(int n) {
        return new VolumeSpec(size, n, thin, nodeLabels, poolLabels);
    }
}
