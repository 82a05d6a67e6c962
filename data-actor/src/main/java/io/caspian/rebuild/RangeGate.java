package io.caspian.rebuild;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Keeps front-end writes and rebuild copies of the same LBA range apart, without blocking a
 * thread.
 *
 * <p>Segments are hashed onto a fixed number of stripes (segment index modulo the stripe count),
 * so the gate costs the same for any device size; unrelated segments sharing a stripe only wait a
 * little longer. Each stripe is one int: the number of writes inside it plus a LOCKED bit. A write
 * enters with a compare-and-set when the stripe is unlocked; when it is locked the write is queued
 * on the stripe (an intrusive list, so queueing allocates nothing) and re-run by {@link #unlock}. A
 * {@link Locker} sets the LOCKED bit and is told once every write that had already entered has
 * left: exactly then the range holds no write in flight and none can start.
 *
 * <p>A write touching several stripes enters them in ascending order and, on meeting a locked
 * one, leaves all it entered before queueing: writers never hold one stripe while waiting for
 * another, so the gate cannot deadlock.
 */
public final class RangeGate {

  /** Something queued on a locked stripe: a front-end write or a {@link Locker}. */
  public abstract static class Waiter {
    Waiter nextWaiter;

    /** The stripe this waiter queued on was unlocked; try again. Runs on the unlocking thread. */
    protected abstract void gateOpened();
  }

  /** Asks for exclusive use of one stripe (or, through {@link #lockAll}, of all). */
  public abstract static class Locker extends Waiter {
    /** The lock is held and no write is inside the range. May run on a writer's thread. */
    protected abstract void locked();
  }

  private static final int LOCKED = 1 << 30;

  private final int segmentShift;
  private final int mask;
  private final AtomicIntegerArray state;
  /**
   * Made when a stripe is first locked or waited on: a write that finds its stripe unlocked needs
   * only {@link #state}, and a nexus that never rebuilds (most, when a node holds thousands of
   * volumes) then never pays for thousands of queues.
   */
  private final AtomicReferenceArray<Stripe> stripes;

  /**
   * @param segmentSize power of two: the granularity of locks
   * @param stripeCount power of two: how many independent locks exist
   */
  public RangeGate(int segmentSize, int stripeCount) {
    if (Integer.bitCount(segmentSize) != 1 || Integer.bitCount(stripeCount) != 1) {
      throw new IllegalArgumentException("segment size and stripe count must be powers of two");
    }
    this.segmentShift = Integer.numberOfTrailingZeros(segmentSize);
    this.mask = stripeCount - 1;
    this.state = new AtomicIntegerArray(stripeCount);
    this.stripes = new AtomicReferenceArray<>(stripeCount);
  }

  public int stripeCount() {
    return stripes.length();
  }

  private Stripe stripe(int s) {
    Stripe st = stripes.get(s);
    if (st == null) {
      Stripe fresh = new Stripe();
      st = stripes.compareAndSet(s, null, fresh) ? fresh : stripes.get(s);
    }
    return st;
  }

  /** The stripe guarding segment {@code seg}. */
  public int stripeOf(long seg) {
    return (int) (seg & mask);
  }

  /**
   * Lets a write of {@code [offset, offset + length)} in, or queues {@code w} when part of the
   * range is locked: then {@code w.gateOpened()} is called later and the write must call this
   * again.
   *
   * @return true when the write may proceed (and must call {@link #exitWrite} when done)
   */
  public boolean enterWrite(long offset, long length, Waiter w) {
    long first = offset >>> segmentShift;
    int n = stripeSpan(offset, length);
    while (true) {
      int blocked = -1;
      for (int i = 0; i < n; i++) {
        int s = (int) ((first + i) & mask);
        if (!tryEnter(s)) {
          for (int j = 0; j < i; j++) {
            exit((int) ((first + j) & mask));
          }
          blocked = s;
          break;
        }
      }
      if (blocked < 0) {
        return true;
      }
      if (enqueueIfLocked(blocked, w)) {
        return false;
      }
    }
  }

  /** The write that entered {@code [offset, offset + length)} is done. */
  public void exitWrite(long offset, long length) {
    long first = offset >>> segmentShift;
    int n = stripeSpan(offset, length);
    for (int i = 0; i < n; i++) {
      exit((int) ((first + i) & mask));
    }
  }

  /**
   * Locks stripe {@code s} for {@code l}: {@code l.locked()} runs once no write is inside; if
   * another locker holds the stripe, {@code l} is queued and {@code l.gateOpened()} runs when it
   * is released, after which {@code l} must call this again.
   */
  public void lock(int s, Locker l) {
    Stripe st = stripe(s);
    int inside;
    synchronized (st) {
      if ((state.get(s) & LOCKED) != 0) {
        append(st, l);
        return;
      }
      st.drainWaiter = l;
      inside = state.getAndAdd(s, LOCKED);
    }
    if (inside == 0) {
      st.drainWaiter = null;
      l.locked();
    }
  }

  /** Releases stripe {@code s} and re-runs everything queued on it. */
  public void unlock(int s) {
    Stripe st = stripe(s);
    Waiter w;
    synchronized (st) {
      state.addAndGet(s, -LOCKED);
      w = st.head;
      st.head = null;
      st.tail = null;
    }
    while (w != null) {
      Waiter next = w.nextWaiter;
      w.nextWaiter = null;
      w.gateOpened();
      w = next;
    }
  }

  /**
   * Locks every stripe, in ascending order, then runs {@code whenLocked}: at that moment no write
   * is in flight anywhere and none can start until {@link #unlockAll}. Used to change which
   * children receive writes atomically with respect to every write.
   */
  public void lockAll(Runnable whenLocked) {
    new AllLocker(whenLocked).signal();
  }

  public void unlockAll() {
    for (int s = 0; s < stripes.length(); s++) {
      unlock(s);
    }
  }

  private int stripeSpan(long offset, long length) {
    long first = offset >>> segmentShift;
    long last = (offset + Math.max(length, 1) - 1) >>> segmentShift;
    return (int) Math.min(last - first + 1, stripes.length());
  }

  private boolean tryEnter(int s) {
    while (true) {
      int v = state.get(s);
      if ((v & LOCKED) != 0) {
        return false;
      }
      if (state.compareAndSet(s, v, v + 1)) {
        return true;
      }
    }
  }

  private void exit(int s) {
    if (state.decrementAndGet(s) == LOCKED) {
      Stripe st = stripe(s);
      Locker l = st.drainWaiter;
      st.drainWaiter = null;
      l.locked();
    }
  }

  private boolean enqueueIfLocked(int s, Waiter w) {
    Stripe st = stripe(s);
    synchronized (st) {
      if ((state.get(s) & LOCKED) == 0) {
        return false;
      }
      append(st, w);
      return true;
    }
  }

  private static void append(Stripe st, Waiter w) {
    w.nextWaiter = null;
    if (st.tail == null) {
      st.head = w;
    } else {
      st.tail.nextWaiter = w;
    }
    st.tail = w;
  }

  /** Per-stripe queue of waiters and the locker waiting for the stripe to drain. */
  private static final class Stripe {
    Waiter head;
    Waiter tail;
    volatile Locker drainWaiter;
  }

  /**
   * Takes the stripes one after another. Callbacks may arrive inline or on writer threads, so a
   * work-in-progress counter serialises the steps instead of recursing.
   */
  private final class AllLocker extends Locker {
    private final Runnable whenLocked;
    private final AtomicInteger wip = new AtomicInteger();
    private int next;
    private boolean awaiting;

    AllLocker(Runnable whenLocked) {
      this.whenLocked = whenLocked;
    }

    @Override
    protected void locked() {
      awaiting = false;
      next++;
      signal();
    }

    @Override
    protected void gateOpened() {
      awaiting = false;
      signal();
    }

    void signal() {
      if (wip.getAndIncrement() != 0) {
        return;
      }
      do {
        if (!awaiting) {
          if (next == stripes.length()) {
            next++;
            whenLocked.run();
          } else if (next < stripes.length()) {
            awaiting = true;
            lock(next, this);
          }
        }
      } while (wip.decrementAndGet() != 0);
    }
  }
}
