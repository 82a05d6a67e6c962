package io.caspian.bench;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.IoCompletion;
import io.caspian.bdev.SyncIo;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The plain copy a rebuild is measured against: {@code workers} copiers, each reading one segment
 * of the source and then writing it to the destination before claiming the next, in ascending
 * order, then one flush of the destination. No gate, no segment map, no executor: what is left is
 * the cost of the devices themselves.
 */
final class SequentialCopy {

  private final BlockDevice src;
  private final BlockDevice dst;
  private final int segment;
  private final int workers;
  private final long size;
  private final AtomicLong next = new AtomicLong();
  private final AtomicInteger errors = new AtomicInteger();
  private volatile BdevException firstError;

  SequentialCopy(BlockDevice src, BlockDevice dst, long size, int segment, int workers) {
    this.src = src;
    this.dst = dst;
    this.size = size;
    this.segment = segment;
    this.workers = workers;
  }

  /** Copies {@code [0, size)} and flushes; returns bytes per second. */
  double run() throws BdevException, InterruptedException {
    CountDownLatch done = new CountDownLatch(workers);
    Copier[] copiers = new Copier[workers];
    int align = Math.max(4096, Math.max(src.bufferAlignment(), dst.bufferAlignment()));
    for (int i = 0; i < workers; i++) {
      copiers[i] = new Copier(DirectMemory.allocateAligned(segment, align), done);
    }
    long t0 = System.nanoTime();
    for (Copier c : copiers) {
      c.drive();
    }
    if (!done.await(300, TimeUnit.SECONDS)) {
      throw new IllegalStateException("copy " + src.uri() + " -> " + dst.uri()
          + " did not finish within 300 s");
    }
    if (firstError != null) {
      throw BdevException.of(firstError.kind(), dst.uri(), errors.get() + " copy I/Os failed; first: "
          + firstError.getMessage(), firstError);
    }
    SyncIo.flush(dst);
    return size / ((System.nanoTime() - t0) / 1e9);
  }

  /**
   * One segment in flight, read then written. As in {@link LoadGenerator}, {@code state} turns a
   * completion that runs inside its own submit call into another turn of the loop, not recursion.
   */
  private final class Copier implements IoCompletion {
    private static final int IN_FLIGHT = 0;
    private static final int SUBMITTING = 1;
    private static final int DONE_WHILE_SUBMITTING = 2;

    private final ByteBuffer buf;
    private final CountDownLatch done;
    private final AtomicInteger state = new AtomicInteger(IN_FLIGHT);
    private long offset = -1;
    private boolean writing;

    Copier(ByteBuffer buf, CountDownLatch done) {
      this.buf = buf;
      this.done = done;
    }

    void drive() {
      do {
        if (firstError != null) {
          done.countDown();
          return;
        }
        if (writing) {
          writing = false;
          offset = -1;
        } else if (offset >= 0) {
          writing = true;
        }
        if (offset < 0) {
          offset = next.getAndAdd(segment);
          if (offset >= size) {
            done.countDown();
            return;
          }
        }
        int len = (int) Math.min(segment, size - offset);
        state.set(SUBMITTING);
        if (writing) {
          dst.write(offset, buf, 0, len, this);
        } else {
          src.read(offset, buf, 0, len, this);
        }
      } while (!state.compareAndSet(SUBMITTING, IN_FLIGHT));
    }

    @Override
    public void ioDone(BdevException error) {
      if (error != null) {
        errors.incrementAndGet();
        if (firstError == null) {
          firstError = error;
        }
      }
      if (!state.compareAndSet(SUBMITTING, DONE_WHILE_SUBMITTING)) {
        drive();
      }
    }
  }
}
