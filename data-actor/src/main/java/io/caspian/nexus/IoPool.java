package io.caspian.nexus;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A lock-free stack of reusable {@link NexusIo} contexts. The head word carries a stamp beside
 * the index, so a context popped and pushed back by other threads between one thread's read and
 * its compare-and-set cannot corrupt the stack (the ABA problem of intrusive free lists).
 */
final class IoPool {

  private final Nexus nexus;
  private final NexusIo[] items;
  private final AtomicInteger created = new AtomicInteger();
  /** High 32 bits: stamp; low 32 bits: index + 1 of the top context, 0 when empty. */
  private final AtomicLong head = new AtomicLong();

  IoPool(Nexus nexus, int capacity) {
    this.nexus = nexus;
    this.items = new NexusIo[capacity];
  }

  /**
   * Changes whenever a context is taken or put back, that is whenever a front-end I/O starts or
   * ends: the stamp, which every take and put bumps anyway, so reading it adds nothing to the I/O
   * path. A rebuild watches it to yield to the workload.
   */
  long activity() {
    return head.get() >>> 32;
  }

  NexusIo take() {
    while (true) {
      long h = head.get();
      int top = (int) h - 1;
      if (top < 0) {
        return create();
      }
      int next = items[top].poolNext;
      if (head.compareAndSet(h, stamp(h) | next)) {
        return items[top];
      }
    }
  }

  void put(NexusIo io) {
    if (io.poolIndex < 0) {
      return;
    }
    io.user = null;
    io.buf = null;
    io.set = null;
    io.readChild = null;
    while (true) {
      long h = head.get();
      io.poolNext = (int) h;
      if (head.compareAndSet(h, stamp(h) | (io.poolIndex + 1))) {
        return;
      }
    }
  }

  private static long stamp(long h) {
    return ((h >>> 32) + 1) << 32;
  }

  private NexusIo create() {
    int i = created.getAndIncrement();
    if (i >= items.length) {
      created.decrementAndGet();
      return new NexusIo(nexus, -1);
    }
    NexusIo io = new NexusIo(nexus, i);
    items[i] = io;
    return io;
  }
}
