package io.caspian.bdev;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Cumulative I/O counters of one device (a nexus, a replica), as Mayastor's iostat keeps them:
 * completed reads and writes, their bytes and the sum of their latencies.
 *
 * <p>Written on the I/O path by every completion thread, read by a metrics scrape. Each thread
 * that completes an I/O of this device writes a {@link Cell} of its own, so an I/O costs a
 * thread-local lookup and plain stores: no atomic read-modify-write, no fence, no shared cache
 * line. ({@code LongAdder} costs a locked compare-and-set per add even uncontended, some 20 ns on
 * a virtual machine, and there are two or three adds per device per I/O: ADR metrics.) A scrape sums
 * the cells. A cell is written by its thread alone, with opaque stores so that a scrape reads
 * each field whole; the cell of a thread that ended is folded into {@link #gone} by the next
 * scrape or the next thread's first I/O, so threads that come and go do not pile cells up.
 *
 * <p>Latency is sampled: reading the clock twice costs more than all the adds together (80 to 140
 * ns a call under the kvm-clock of a virtual machine, against some 2.5 µs for a whole I/O on a
 * malloc pool). Each pooled I/O context times its first read and then one read in {@link
 * #TIMED_EVERY}, and the same of its writes, and such a latency stands for the reads (writes)
 * since the context's last timed one: it is added {@link #timingWeight weight} times. Counts and
 * bytes stay exact, the latency sum is exact for a context's first I/O and an unbiased estimate
 * after, and it only grows, as a counter must.
 */
public final class IoCounters {

  /** One read in this many of an I/O context is timed, and one write in this many. */
  public static final int TIMED_EVERY = 64;

  private final ThreadLocal<Cell> mine = ThreadLocal.withInitial(this::register);
  /** The cells of live threads (and of ended ones until a scrape folds them); guarded by this. */
  private Cell[] cells = new Cell[0];
  /** The sums of the cells of threads that ended; guarded by this. */
  private IoStats gone = IoStats.ZERO;

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

  /**
   * The calling thread's cell: {@code last} when it is that thread's (a pooled I/O context keeps
   * the cell it counted in last, which spares the thread-local lookup when the same thread
   * completes it again), else the one found or made for this thread.
   */
  public Cell cell(Cell last) {
    return last != null && last.owner == Thread.currentThread() ? last : mine.get();
  }

  /** The counts so far; each field is exact, the fields are not read at one instant. */
  public synchronized IoStats snapshot() {
    foldEnded();
    IoStats sum = gone;
    for (Cell c : cells) {
      sum = sum.plus(c.stats());
    }
    return sum;
  }

  /**
   * A new thread's cell. The cells of threads that ended are folded first, so that a device
   * nobody scrapes (metrics not served) does not keep one cell per thread that ever touched it.
   */
  private synchronized Cell register() {
    foldEnded();
    Cell c = new Cell(Thread.currentThread());
    cells = Arrays.copyOf(cells, cells.length + 1);
    cells[cells.length - 1] = c;
    return c;
  }

  /** Adds the cells of threads that ended to {@link #gone} and drops them; holds this. */
  private void foldEnded() {
    int live = 0;
    for (Cell c : cells) {
      // read the thread's end before its cell: every store it made is then seen
      if (c.owner.isAlive()) {
        cells[live++] = c;
      } else {
        gone = gone.plus(c.stats());
      }
    }
    if (live != cells.length) {
      cells = Arrays.copyOf(cells, live);
    }
  }

  /** One thread's counts of this device: written by that thread only. */
  public static final class Cell {
    private static final VarHandle READ_OPS;
    private static final VarHandle READ_BYTES;
    private static final VarHandle READ_NANOS;
    private static final VarHandle WRITE_OPS;
    private static final VarHandle WRITE_BYTES;
    private static final VarHandle WRITE_NANOS;

    static {
      try {
        MethodHandles.Lookup l = MethodHandles.lookup();
        READ_OPS = l.findVarHandle(Cell.class, "readOps", long.class);
        READ_BYTES = l.findVarHandle(Cell.class, "readBytes", long.class);
        READ_NANOS = l.findVarHandle(Cell.class, "readNanos", long.class);
        WRITE_OPS = l.findVarHandle(Cell.class, "writeOps", long.class);
        WRITE_BYTES = l.findVarHandle(Cell.class, "writeBytes", long.class);
        WRITE_NANOS = l.findVarHandle(Cell.class, "writeNanos", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final Thread owner;
    private long readOps;
    private long readBytes;
    private long readNanos;
    private long writeOps;
    private long writeBytes;
    private long writeNanos;

    Cell(Thread owner) {
      this.owner = owner;
    }

    // The owner reads its own fields plainly (no other thread writes them) and stores opaquely.
    /**
     * A read of {@code bytes} completed; {@code nanos}: its weighted latency, 0 when not timed.
     * Only on the thread that {@link IoCounters#cell} gave this cell to.
     */
    public void read(long bytes, long nanos) {
      READ_OPS.setOpaque(this, readOps + 1);
      READ_BYTES.setOpaque(this, readBytes + bytes);
      if (nanos != 0) {
        READ_NANOS.setOpaque(this, readNanos + nanos);
      }
    }

    /** As {@link #read}, for a write. */
    public void write(long bytes, long nanos) {
      WRITE_OPS.setOpaque(this, writeOps + 1);
      WRITE_BYTES.setOpaque(this, writeBytes + bytes);
      if (nanos != 0) {
        WRITE_NANOS.setOpaque(this, writeNanos + nanos);
      }
    }

    IoStats stats() {
      return new IoStats((long) READ_OPS.getOpaque(this), (long) READ_BYTES.getOpaque(this),
          (long) READ_NANOS.getOpaque(this) / 1_000, (long) WRITE_OPS.getOpaque(this),
          (long) WRITE_BYTES.getOpaque(this), (long) WRITE_NANOS.getOpaque(this) / 1_000);
    }
  }
}
