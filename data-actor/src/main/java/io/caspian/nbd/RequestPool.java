package io.caspian.nbd;

import java.nio.ByteBuffer;

/**
 * The requests of one connection: at most {@code capacity} are in flight. When all are taken the
 * decoder stops reading the socket ({@link #acquire} returns {@code null}); the first release then
 * runs the decoder's resume task, so a client that pipelines more than the server tracks is slowed
 * down by TCP rather than buffered without bound. The pool also keeps a few large data buffers
 * for requests that outgrow a request's own. Used only on the channel's event loop.
 */
final class RequestPool {

  /** Large buffers kept for reuse, and the largest size kept; bounds the stash to 32 MiB. */
  private static final int LARGE_KEEP = 16;
  private static final int LARGE_MAX = 2 << 20;

  private final Request[] free;
  private final int alignment;
  private final ByteBuffer[] large = new ByteBuffer[LARGE_KEEP];
  private int largeCount;
  private int created;
  private int top;
  private boolean starved;
  private Runnable onAvailable;

  RequestPool(int capacity, int alignment) {
    this.free = new Request[capacity];
    this.alignment = alignment;
  }

  /** What to run (on the event loop) when a request frees up after {@link #acquire} failed. */
  void onAvailable(Runnable task) {
    this.onAvailable = task;
  }

  Request acquire() {
    if (top > 0) {
      Request r = free[--top];
      free[top] = null;
      return r;
    }
    if (created < free.length) {
      created++;
      return new Request(this, alignment);
    }
    starved = true;
    return null;
  }

  void release(Request r) {
    ByteBuffer b = r.recycle();
    if (b != null && b.capacity() <= LARGE_MAX && largeCount < LARGE_KEEP) {
      large[largeCount++] = b;
    }
    free[top++] = r;
    if (starved) {
      starved = false;
      if (onAvailable != null) {
        onAvailable.run();
      }
    }
  }

  /**
   * A buffer for a payload larger than a request's own: the smallest kept one that fits, else a
   * new one rounded up to a power of two so that it can be kept for similar requests later.
   * Sequential 1 MiB I/O then reuses a handful of buffers instead of allocating per request.
   */
  ByteBuffer takeLarge(int size) {
    int best = -1;
    for (int i = 0; i < largeCount; i++) {
      int cap = large[i].capacity();
      if (cap >= size && (best < 0 || cap < large[best].capacity())) {
        best = i;
      }
    }
    if (best >= 0) {
      ByteBuffer b = large[best];
      large[best] = large[--largeCount];
      large[largeCount] = null;
      return b;
    }
    int capacity = size <= LARGE_MAX ? Integer.highestOneBit(size - 1) << 1 : size;
    return Request.allocate(capacity, alignment);
  }

  int capacity() {
    return free.length;
  }
}
