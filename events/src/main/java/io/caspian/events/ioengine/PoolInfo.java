package io.caspian.events.ioengine;

import io.caspian.events.Health;

/** A pool as its io-engine sees it. Committed is the sum of replica sizes, thin or not; used is allocated bytes. */
public record PoolInfo(String name, String uuid, String disk, Health status, long capacity, long used, long committed) {
}
