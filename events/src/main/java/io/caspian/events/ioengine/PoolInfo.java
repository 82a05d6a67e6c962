package io.caspian.events.ioengine;

import io.caspian.events.Health;

/**
 * A pool as its io-engine sees it. Committed is the sum of replica sizes, thin or not; used is allocated bytes.
 * {@code reason} says why a pool is not Online (a lost disk, a failed metadata write), empty when it is.
 */
public record PoolInfo(String name, String uuid, String disk, Health status, long capacity, long used, long committed,
        String reason) {

    public PoolInfo {
        reason = reason == null ? "" : reason;
    }

    /** A pool with no reason to give: Online, or a status that explains itself. */
    public PoolInfo(String name, String uuid, String disk, Health status, long capacity, long used, long committed) {
        this(name, uuid, disk, status, capacity, used, committed, "");
    }
}
