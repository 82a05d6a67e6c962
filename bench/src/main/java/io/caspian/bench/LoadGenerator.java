package io.caspian.bench;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.IoCompletion;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Random block I/O at a fixed queue depth for a fixed time, like {@code fio --rw=randread|randwrite
 * --iodepth=N}: every slot resubmits from its own completion, so an asynchronous device is driven
 * by its completion thread exactly as fio drives the kernel, and nothing here allocates per I/O.
 */
public final class LoadGenerator {

  /** What to run. */
  public enum Pattern {
    RANDREAD,
    RANDWRITE;

    /** From fio's name for it: {@code randread} or {@code randwrite}. */
    public static Pattern of(String rw) {
      return valueOf(rw.toUpperCase(java.util.Locale.ROOT));
    }
  }

  /**
   * The outcome of one run.
   *
   * @param submitCpuNanos CPU time of the thread that submitted the I/O: all of it with an inline
   *     device (malloc), whose completions run there too; unlike IOPS, other tenants of a shared
   *     machine hardly move it
   */
  public record Result(long ios, long errors, double seconds, long allocatedBytes, Histogram latency,
      long submitCpuNanos) {
    public double iops() {
      return ios / seconds;
    }

    public double allocatedBytesPerIo() {
      return ios == 0 ? 0 : (double) allocatedBytes / ios;
    }
  }

  private final BlockDevice dev;
  private final Pattern pattern;
  private final int blockSize;
  private final int queueDepth;
  private final long span;

  /**
   * @param span I/Os land in {@code [0, span)} of the device
   */
  public LoadGenerator(BlockDevice dev, Pattern pattern, int blockSize, int queueDepth, long span) {
    this.dev = dev;
    this.pattern = pattern;
    this.blockSize = blockSize;
    this.queueDepth = queueDepth;
    this.span = span - span % blockSize;
  }

  public Result run(double seconds) throws InterruptedException {
    AllocationMeter meter = new AllocationMeter();
    Histogram latency = new Histogram();
    CountDownLatch done = new CountDownLatch(queueDepth);
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    Slot[] slots = new Slot[queueDepth];
    for (int i = 0; i < queueDepth; i++) {
      slots[i] = new Slot(i, deadline, done, latency);
    }
    // Slots start on a thread of their own: with an inline device (malloc) all I/O runs there, and
    // the meter must see it, while it leaves out this waiting thread.
    // It stays alive until measured: a finished thread's allocations can no longer be read.
    CountDownLatch measured = new CountDownLatch(1);
    Thread submitter = new Thread(() -> {
      for (Slot s : slots) {
        s.drive();
      }
      try {
        measured.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "bench-submit");
    submitter.setDaemon(true);
    meter.start();
    long t0 = System.nanoTime();
    submitter.start();
    if (!done.await((long) (seconds * 1000) + 60_000, TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(dev.uri() + ": I/O did not drain within 60 s of the deadline");
    }
    double elapsed = (System.nanoTime() - t0) / 1e9;
    long allocated = meter.stop();
    long cpu = ManagementFactory.getThreadMXBean().getThreadCpuTime(submitter.getId());
    measured.countDown();
    long ios = 0;
    long errors = 0;
    for (Slot s : slots) {
      ios += s.ios;
      errors += s.errors;
    }
    return new Result(ios, errors, elapsed, allocated, latency, cpu);
  }

  /**
   * One outstanding I/O. {@code state} lets a completion that arrives while its own submit call is
   * still on the stack (an inline device) hand the resubmission back to that call instead of
   * recursing.
   */
  private final class Slot implements IoCompletion {
    private static final int IN_FLIGHT = 0;
    private static final int SUBMITTING = 1;
    private static final int DONE_WHILE_SUBMITTING = 2;

    private final ByteBuffer buf = DirectMemory.allocate(blockSize);
    private final SplittableRandom random;
    private final long deadline;
    private final CountDownLatch done;
    private final Histogram latency;
    private final AtomicInteger state = new AtomicInteger(IN_FLIGHT);
    private long started;
    long ios;
    long errors;

    Slot(int index, long deadline, CountDownLatch done, Histogram latency) {
      this.random = new SplittableRandom(0x5eedL * (index + 1));
      this.deadline = deadline;
      this.done = done;
      this.latency = latency;
      for (int i = 0; i < blockSize; i += 8) {
        buf.putLong(i, random.nextLong());
      }
    }

    /** Submits until an I/O stays in flight past its submit call, or the time is up. */
    void drive() {
      do {
        if (System.nanoTime() >= deadline) {
          done.countDown();
          return;
        }
        state.set(SUBMITTING);
        long offset = random.nextLong(span / blockSize) * blockSize;
        started = System.nanoTime();
        if (pattern == Pattern.RANDREAD) {
          dev.read(offset, buf, 0, blockSize, this);
        } else {
          dev.write(offset, buf, 0, blockSize, this);
        }
      } while (!state.compareAndSet(SUBMITTING, IN_FLIGHT));
    }

    @Override
    public void ioDone(BdevException error) {
      long now = System.nanoTime();
      latency.record(now - started);
      if (error == null) {
        ios++;
      } else {
        errors++;
      }
      if (!state.compareAndSet(SUBMITTING, DONE_WHILE_SUBMITTING)) {
        drive();
      }
    }
  }
}
