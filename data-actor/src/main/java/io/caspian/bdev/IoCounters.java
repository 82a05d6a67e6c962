package io.caspian.bdev;

import java.util.concurrent.atomic.LongAdder;

/**
 * Cumulative I/O counters of one device (a nexus, a replica), as Mayastor's iostat keeps them:
 * completed reads and writes, their bytes and the sum of their latencies.
 *
 * <p>Written on the I/O path by every completion thread, read by a metrics scrape. {@link LongAdder}
 * because an I/O costs then one uncontended add per field and no allocation (its cells are made once,
 * on the first contention), and a scrape sums the cells; an {@code AtomicLong} would be one cache line
 * that every completion thread fights over.
 *
 * <p>Latency is sampled: reading the clock twice costs more than all the adds together (80 to 140
 * ns a call under the kvm-clock of a virtual machine, against some 2.5 µs for a whole I/O on a
 * malloc pool). Each pooled I/O context times its first read and then one read in {@link
 * #TIMED_EVERY}, and the same of its writes, and such a latency stands for the reads (writes)
 * since the context's last timed one: it is added {@link #timingWeight weight} times. Counts and bytes stay exact, the latency sum is exact
 * for a context's first I/O and an unbiased estimate after, and it only grows, as a counter must.
 */
public final class IoCounters {

  /** One read in this many of an I/O context is timed, and one write in this many. */
  public static final int TIMED_EVERY = 16;

  private final LongAdder readOps = new LongAdder();
  private final LongAdder readBytes = new LongAdder();
  private final LongAdder readNanos = new LongAdder();
  private final LongAdder writeOps = new LongAdder();
  private final LongAdder writeBytes = new LongAdder();
  private final LongAdder writeNanos = new LongAdder();

  /**
   * How many I/Os the latency of read (or write) {@code seq} (1, 2, ...) of an I/O context stands
   * for: 0 when that one is not to be timed.
   */
  public static int timingWeight(int seq) {
    if ((seq & (TIMED_EVERY - 1)) != 1) {
      return 0;
    }
    return seq == 1 ? 1 : TIMED_EVERY;
  }

  /** A read of {@code bytes} completed; {@code nanos}: its weighted latency, 0 when not timed. */
  public void read(long bytes, long nanos) {
    readOps.increment();
    readBytes.add(bytes);
    if (nanos != 0) {
      readNanos.add(nanos);
    }
  }

  /** A write of {@code bytes} completed; {@code nanos}: its weighted latency, 0 when not timed. */
  public void write(long bytes, long nanos) {
    writeOps.increment();
    writeBytes.add(bytes);
    if (nanos != 0) {
      writeNanos.add(nanos);
    }
  }

  /** The counts so far; each field is exact, the fields are not read at one instant. */
  public IoStats snapshot() {
    return new IoStats(readOps.sum(), readBytes.sum(), readNanos.sum() / 1_000,
        writeOps.sum(), writeBytes.sum(), writeNanos.sum() / 1_000);
  }
}
