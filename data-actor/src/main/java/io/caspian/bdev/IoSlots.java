package io.caspian.bdev;

/**
 * The fixed table of I/O slots of a native device: which completion and request each in-flight
 * I/O belongs to, and which slots are free. The slot index travels through the kernel as the
 * request's user data, so a completion event finds its caller without a lookup or allocation.
 *
 * <p>A slot is held from submission until its completion has been taken, including while a
 * request waits in a batch or on the admin thread; a device whose every slot is free after
 * {@link #close()} has nothing left that could touch its descriptor or memory.
 */
final class IoSlots {

  /** {@link #acquire} result: the table is closed. */
  static final int CLOSED = -1;
  /** {@link #acquire} result: every slot is in use. */
  static final int FULL = -2;

  private final IoCompletion[] completions;
  private final IoType[] types;
  private final long[] offsets;
  private final long[] lengths;
  private final int[] free;
  private int freeCount;
  private boolean closed;
  private boolean retired;

  IoSlots(int capacity) {
    completions = new IoCompletion[capacity];
    types = new IoType[capacity];
    offsets = new long[capacity];
    lengths = new long[capacity];
    free = new int[capacity];
    for (int i = 0; i < capacity; i++) {
      free[i] = capacity - 1 - i;
    }
    freeCount = capacity;
  }

  int capacity() {
    return free.length;
  }

  /** A free slot now holding this request, or {@link #CLOSED} or {@link #FULL}. */
  synchronized int acquire(IoCompletion done, IoType type, long offset, long length) {
    if (closed) {
      return CLOSED;
    }
    if (freeCount == 0) {
      return FULL;
    }
    int slot = free[--freeCount];
    completions[slot] = done;
    types[slot] = type;
    offsets[slot] = offset;
    lengths[slot] = length;
    return slot;
  }

  /** The bytes a successful I/O in {@code slot} transfers: its length for reads and writes, else 0. */
  synchronized long expectedResult(int slot) {
    IoType t = types[slot];
    return t == IoType.READ || t == IoType.WRITE ? lengths[slot] : 0;
  }

  synchronized IoType type(int slot) {
    return types[slot];
  }

  synchronized long offset(int slot) {
    return offsets[slot];
  }

  synchronized long length(int slot) {
    return lengths[slot];
  }

  /** The request in {@code slot} in words, for error messages. */
  synchronized String describe(int slot) {
    IoType t = types[slot];
    return t == IoType.FLUSH ? "FLUSH"
        : t + " at offset " + offsets[slot] + " length " + lengths[slot];
  }

  /** Frees {@code slot} and returns the completion it held. */
  synchronized IoCompletion take(int slot) {
    IoCompletion done = completions[slot];
    completions[slot] = null;
    types[slot] = null;
    free[freeCount++] = slot;
    return done;
  }

  /** Refuses new slots from now on; false when already closed. */
  synchronized boolean close() {
    boolean was = closed;
    closed = true;
    return !was;
  }

  synchronized boolean isClosed() {
    return closed;
  }

  /** Whether the table is closed and every slot is free. */
  synchronized boolean drained() {
    return closed && freeCount == free.length;
  }

  /**
   * Marks the table retired when it is drained: from then on nothing may be submitted to the
   * kernel queue, which its owner is about to destroy. Returns whether it is retired.
   */
  synchronized boolean retireIfDrained() {
    if (closed && freeCount == free.length) {
      retired = true;
    }
    return retired;
  }

  /** Runs {@code action} unless the table is retired, atomically with respect to retiring. */
  synchronized void unlessRetired(Runnable action) {
    if (!retired) {
      action.run();
    }
  }
}
