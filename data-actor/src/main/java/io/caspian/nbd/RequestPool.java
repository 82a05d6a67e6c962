package io.caspian.nbd;

/**
 * The requests of one connection: at most {@code capacity} are in flight. When all are taken the
 * decoder stops reading the socket ({@link #acquire} returns {@code null}); the first release then
 * runs the decoder's resume task, so a client that pipelines more than the server tracks is slowed
 * down by TCP rather than buffered without bound. Used only on the channel's event loop.
 */
final class RequestPool {

  private final Request[] free;
  private final int alignment;
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
      return new Request(alignment);
    }
    starved = true;
    return null;
  }

  void release(Request r) {
    r.recycle();
    free[top++] = r;
    if (starved) {
      starved = false;
      if (onAvailable != null) {
        onAvailable.run();
      }
    }
  }

  int capacity() {
    return free.length;
  }
}
