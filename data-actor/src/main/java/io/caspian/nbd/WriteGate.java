package io.caspian.nbd;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps read-modify-write cycles atomic with respect to every other write to one export.
 *
 * <p>Block-aligned writes enter <em>shared</em>: one CAS on the fast path, nothing allocated. A
 * read-modify-write (an unaligned write or zero) needs the gate <em>exclusive</em>: otherwise a
 * write to the same block between its read and its write-back would be silently undone. Exclusive
 * requests queue, wait for the shared writes in flight to drain, then run one at a time; shared
 * writes that arrive meanwhile queue behind them and also run one at a time, so ordering stays
 * simple on this rare path.
 */
final class WriteGate {

  /** Something that waits for the gate; {@link #runGated} starts it, it later calls exit. */
  interface Gated {
    void runGated();
  }

  private static final int EXCLUSIVE = 1 << 30;

  /** Shared writes in flight, plus {@link #EXCLUSIVE} while the exclusive queue is active. */
  private final AtomicInteger state = new AtomicInteger();
  private final ArrayDeque<Gated> queue = new ArrayDeque<>();
  private boolean exclusiveMode;
  private boolean looping;
  private boolean again;

  /** Enters shared, or returns {@code false} when the caller must use {@link #enqueue}. */
  boolean tryEnterShared() {
    for (;;) {
      int s = state.get();
      if ((s & EXCLUSIVE) != 0) {
        return false;
      }
      if (state.compareAndSet(s, s + 1)) {
        return true;
      }
    }
  }

  void exitShared() {
    if (state.decrementAndGet() == EXCLUSIVE) {
      runNext();
    }
  }

  /** Queues {@code op}; it runs alone, once no other write is in flight. */
  void enqueue(Gated op) {
    boolean start;
    synchronized (this) {
      queue.add(op);
      if (exclusiveMode) {
        return;
      }
      exclusiveMode = true;
      start = state.addAndGet(EXCLUSIVE) == EXCLUSIVE;
    }
    if (start) {
      runNext();
    }
  }

  /** Called by a queued op when it is done; starts the next one or reopens the shared path. */
  void exitExclusive() {
    runNext();
  }

  /**
   * Starts queued ops one at a time. An op that completes inside {@code runGated} (devices may
   * complete inline) calls back in here; instead of recursing, which could go thousands of frames
   * deep, that call only records that the loop may go on.
   */
  private void runNext() {
    synchronized (this) {
      if (looping) {
        again = true;
        return;
      }
      looping = true;
    }
    for (;;) {
      Gated next;
      synchronized (this) {
        next = queue.poll();
        if (next == null) {
          exclusiveMode = false;
          looping = false;
          state.addAndGet(-EXCLUSIVE);
          return;
        }
        again = false;
      }
      next.runGated();
      synchronized (this) {
        if (!again) {
          // still in flight; its exitExclusive will start the next one
          looping = false;
          return;
        }
      }
    }
  }
}
