package io.caspian.bdev;

import java.util.concurrent.atomic.LongAdder;

/**
 * Cumulative I/O counters of one device (a nexus, later a replica), as Mayastor's iostat keeps them:
 * completed reads and writes, their bytes and the sum of their latencies.
 *
 * <p>Written on the I/O path by every completion thread, read by a metrics scrape. {@link LongAdder}
 * because an I/O costs then one uncontended add per field and no allocation (its cells are made once,
 * on the first contention), and a scrape sums the cells; an {@code AtomicLong} would be one cache line
 * that every completion thread fights over.
 */
public final class IoCounters {

  private final LongAdder readOps = new LongAdder();
  private final LongAdder readBytes = new LongAdder();
  private final LongAdder readNanos = new LongAdder();
  private final LongAdder writeOps = new LongAdder();
  private final LongAdder writeBytes = new LongAdder();
  private final LongAdder writeNanos = new LongAdder();

  /** A read of {@code bytes} completed {@code nanos} after it was submitted. */
  public void read(long bytes, long nanos) {
    readOps.increment();
    readBytes.add(bytes);
    readNanos.add(nanos);
  }

  /** A write of {@code bytes} completed {@code nanos} after it was submitted. */
  public void write(long bytes, long nanos) {
    writeOps.increment();
    writeBytes.add(bytes);
    writeNanos.add(nanos);
  }

  /** The counts so far; each field is exact, the fields are not read at one instant. */
  public IoStats snapshot() {
    return new IoStats(readOps.sum(), readBytes.sum(), readNanos.sum() / 1_000,
        writeOps.sum(), writeBytes.sum(), writeNanos.sum() / 1_000);
  }
}
