package io.caspian.pool;

/**
 * Space accounting of a pool, in bytes.
 *
 * @param capacity  data clusters times the cluster size
 * @param used      allocated clusters times the cluster size (thick replicas count in full)
 * @param free      {@code capacity - used}
 * @param committed the sum of the sizes of the thin replicas: what they may grow to use
 */
public record PoolStats(long capacity, long used, long free, long committed) {}
