package io.caspian.bdev;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the reads and writes of a device that hands its caller's completion straight on (a
 * replica passes it to the pool disk): {@link #start} returns a completion that adds the I/O to
 * the {@link IoCounters} on success, with its latency when it was timed (see {@link IoCounters}
 * for the sampling), then completes the caller.
 *
 * <p>Those completions are pooled contexts, so counting allocates nothing per I/O: a lock-free
 * stack whose head word carries a stamp beside the index, so a context popped and pushed back by
 * other threads between one thread's read and its compare-and-set cannot corrupt it. Contexts are
 * made on first need, up to the capacity; past it (more I/Os in flight than that) a context is
 * made for the one I/O and dropped.
 */
public final class IoTimer {

  private final IoCounters counters;
  private final Timed[] items;
  private final AtomicInteger created = new AtomicInteger();
  /** High 32 bits: stamp; low 32 bits: index + 1 of the top context, 0 when empty. */
  private final AtomicLong head = new AtomicLong();

  public IoTimer(IoCounters counters, int capacity) {
    this.counters = counters;
    this.items = new Timed[capacity];
  }

  /** The completion to pass on for a read or write of {@code bytes} that completes {@code done}. */
  public IoCompletion start(IoType type, long bytes, IoCompletion done) {
    Timed t = take();
    t.write = type == IoType.WRITE;
    t.bytes = bytes;
    t.user = done;
    t.weight = IoCounters.timingWeight(t.write ? ++t.writes : ++t.reads);
    if (t.weight != 0) {
      t.started = System.nanoTime();
    }
    return t;
  }

  private Timed take() {
    while (true) {
      long h = head.get();
      int top = (int) h - 1;
      if (top < 0) {
        return create();
      }
      int next = items[top].next;
      if (head.compareAndSet(h, stamp(h) | next)) {
        return items[top];
      }
    }
  }

  private void put(Timed t) {
    if (t.index < 0) {
      return;
    }
    while (true) {
      long h = head.get();
      t.next = (int) h;
      if (head.compareAndSet(h, stamp(h) | (t.index + 1))) {
        return;
      }
    }
  }

  private static long stamp(long h) {
    return ((h >>> 32) + 1) << 32;
  }

  private Timed create() {
    int i = created.getAndIncrement();
    if (i >= items.length) {
      created.decrementAndGet();
      return new Timed(-1);
    }
    Timed t = new Timed(i);
    items[i] = t;
    return t;
  }

  private final class Timed implements IoCompletion {
    final int index;
    int next;
    boolean write;
    long bytes;
    long started;
    /**
     * Reads and writes so far, for the latency sampling (each kind apart, so that the first read
     * is timed however many writes came before); the weight of this one's latency, 0 if untimed.
     */
    int reads;
    int writes;
    int weight;
    IoCompletion user;

    Timed(int index) {
      this.index = index;
    }

    @Override
    public void ioDone(BdevException error) {
      if (error == null) {
        long nanos = weight == 0 ? 0 : (System.nanoTime() - started) * weight;
        if (write) {
          counters.write(bytes, nanos);
        } else {
          counters.read(bytes, nanos);
        }
      }
      IoCompletion u = user;
      user = null;
      // Back in the pool before the caller runs: its completion may submit the next I/O at once.
      put(this);
      u.ioDone(error);
    }
  }
}
