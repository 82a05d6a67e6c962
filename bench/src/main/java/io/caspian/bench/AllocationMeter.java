package io.caspian.bench;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;

/**
 * Heap bytes allocated by every Java thread between {@link #start()} and {@link #stop()}: I/O,
 * completion and event-loop threads included, so a per-I/O allocation anywhere on the path shows.
 */
final class AllocationMeter {

  private final com.sun.management.ThreadMXBean threads =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private final Map<Long, Long> before = new HashMap<>();
  private long selfBefore;

  void start() {
    before.clear();
    for (long id : threads.getAllThreadIds()) {
      before.put(id, threads.getThreadAllocatedBytes(id));
    }
    selfBefore = threads.getCurrentThreadAllocatedBytes();
  }

  /** Bytes allocated since start, not counting this (waiting) thread's own bookkeeping. */
  long stop() {
    long self = threads.getCurrentThreadAllocatedBytes() - selfBefore;
    long total = 0;
    for (long id : threads.getAllThreadIds()) {
      long now = threads.getThreadAllocatedBytes(id);
      if (now < 0) {
        continue;
      }
      total += now - before.getOrDefault(id, 0L);
    }
    return Math.max(0, total - self);
  }
}
