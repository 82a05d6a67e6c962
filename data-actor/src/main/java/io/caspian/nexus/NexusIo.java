package io.caspian.nexus;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.IoCompletion;
import io.caspian.bdev.IoCounters;
import io.caspian.bdev.IoType;
import io.caspian.rebuild.RangeGate;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One front-end I/O in flight through a nexus: the fan-out counter, one sub-completion per child
 * (each knowing its index), the mask of children that failed and the first error. Contexts are
 * pooled by {@link IoPool} and reused, so the success path allocates nothing.
 */
final class NexusIo extends RangeGate.Waiter implements IoCompletion {

  final Nexus nexus;
  /** Position in the pool, or -1 for a context made when the pool was empty. */
  final int poolIndex;
  int poolNext;

  IoType type;
  long offset;
  long length;
  ByteBuffer buf;
  int bufOffset;
  IoCompletion user;
  /** {@link System#nanoTime()} at submission of a timed read or write, for the latency counters. */
  long started;
  /** Whether it is counted: a read or write submitted while the nexus counts I/O. */
  boolean counted;
  /**
   * Reads and writes this context carried, for the latency sampling (each kind apart, so that the
   * first read is timed however many writes came before); the weight of this one's latency, 0 if
   * it is not timed.
   */
  int reads;
  int writes;
  int weight;
  /** The cell of the nexus's counters it was counted in last (see {@link IoCounters#cell}). */
  IoCounters.Cell cell;

  /** The children this I/O was sent to. */
  ChildSet set;
  final AtomicInteger pending = new AtomicInteger();
  final AtomicLong failed = new AtomicLong();
  volatile BdevException firstError;
  private Sub[] subs = new Sub[0];

  /** The next write parked on the write-intent log with this one. */
  NexusIo intentNext;

  /** Reads: the child being read and the slots tried so far. */
  Child readChild;
  long tried;

  NexusIo(Nexus nexus, int poolIndex) {
    this.nexus = nexus;
    this.poolIndex = poolIndex;
  }

  void init(IoType type, long offset, long length, ByteBuffer buf, int bufOffset,
      IoCompletion user) {
    this.type = type;
    this.offset = offset;
    this.length = length;
    this.buf = buf;
    this.bufOffset = bufOffset;
    this.user = user;
    this.tried = 0;
    this.counted = (type == IoType.READ || type == IoType.WRITE) && nexus.countsIo();
    this.weight = !counted ? 0
        : IoCounters.timingWeight(type == IoType.READ ? ++reads : ++writes);
    if (weight != 0) {
      this.started = System.nanoTime();
    }
    // Both are almost always clear already: skip the volatile stores, each a full fence.
    if (firstError != null) {
      firstError = null;
    }
    if (failed.get() != 0) {
      failed.set(0);
    }
  }

  /** The sub-completion for writable child {@code i}; grows only when a nexus gains children. */
  IoCompletion sub(int i) {
    if (i >= subs.length) {
      Sub[] bigger = new Sub[Math.max(i + 1, subs.length * 2)];
      System.arraycopy(subs, 0, bigger, 0, subs.length);
      for (int k = subs.length; k < bigger.length; k++) {
        bigger[k] = new Sub(k);
      }
      subs = bigger;
    }
    return subs[i];
  }

  /** A read finished on {@link #readChild}. */
  @Override
  public void ioDone(BdevException error) {
    nexus.readDone(this, error);
  }

  /** A write-like I/O queued on a rebuild lock may go now. */
  @Override
  protected void gateOpened() {
    nexus.submitGated(this);
  }

  /** The error writable child {@code i} reported; valid when bit {@code i} of {@link #failed} is set. */
  BdevException errorOf(int i) {
    return subs[i].error;
  }

  /** Completion of the copy of a mirrored I/O sent to writable child {@code index}. */
  private final class Sub implements IoCompletion {
    final int index;
    BdevException error;

    Sub(int index) {
      this.index = index;
    }

    @Override
    public void ioDone(BdevException error) {
      if (error != null) {
        this.error = error;
        long bit = 1L << index;
        long f;
        do {
          f = failed.get();
        } while (!failed.compareAndSet(f, f | bit));
        if (firstError == null) {
          firstError = error;
        }
      }
      // Reading 1 means every other child has answered: this is the last answer, and the
      // locked decrement can be skipped (always so with a single writable child).
      if (pending.get() == 1 || pending.decrementAndGet() == 0) {
        nexus.mirroredDone(NexusIo.this);
      }
    }
  }
}
