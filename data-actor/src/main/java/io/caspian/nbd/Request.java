package io.caspian.nbd;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.IoCompletion;
import java.nio.ByteBuffer;

/**
 * One NBD request in flight, from its decoded header to its encoded reply.
 *
 * <p>Requests are pooled per connection ({@link RequestPool}) and reused, which is why this is a
 * mutable class rather than a record: the read/write path must not allocate. The object is also
 * the device completion and the task that carries the reply back to the event loop, so a
 * completion on a device thread costs no lambda either. Payloads up to {@link #OWN_BUFFER} bytes
 * use the request's own aligned buffer; larger ones borrow one from the pool's small stash.
 */
final class Request implements IoCompletion, Runnable, WriteGate.Gated {

  /** Size of each request's reusable data buffer. */
  static final int OWN_BUFFER = 128 * 1024;

  /** Where the request is on its way; see {@link TransmissionHandler#ioDone}. */
  static final int PHASE_IO = 0;
  static final int PHASE_FUA_FLUSH = 1;

  private final RequestPool pool;
  private final int alignment;
  private ByteBuffer own;

  int flags;
  int type;
  long cookie;
  long offset;
  /** Unsigned 32-bit length from the wire. */
  long length;

  /** Holds the data of a WRITE (as received) or of a READ (as read), at {@link #dataOffset}. */
  ByteBuffer buf;
  int dataOffset;

  /** NBD error to reply with; 0 on success. */
  int error;
  String message;

  int phase;
  /** How this request holds its export's write gate: 0 not at all, else shared or exclusive. */
  int gate;
  static final int GATE_SHARED = 1;
  static final int GATE_EXCLUSIVE = 2;

  TransmissionHandler owner;

  /** BLOCK_STATUS answer: (length, flags) pairs, unsigned; allocated only for that command. */
  int[] extents;
  int extentCount;

  Request(RequestPool pool, int alignment) {
    this.pool = pool;
    this.alignment = alignment;
  }

  void reset(int flags, int type, long cookie, long offset, long length) {
    this.flags = flags;
    this.type = type;
    this.cookie = cookie;
    this.offset = offset;
    this.length = length;
    this.buf = null;
    this.dataOffset = 0;
    this.error = 0;
    this.message = null;
    this.phase = PHASE_IO;
    this.gate = 0;
  }

  /** Points {@link #buf} at a buffer of at least {@code size} bytes, aligned for any device. */
  ByteBuffer dataBuffer(int size) {
    if (size <= OWN_BUFFER) {
      if (own == null) {
        own = allocate(OWN_BUFFER, alignment);
      }
      buf = own;
    } else {
      buf = pool.takeLarge(size);
    }
    dataOffset = 0;
    return buf;
  }

  /**
   * An aligned buffer of at least {@code size} bytes. The size is rounded up to the alignment
   * because {@link DirectMemory#allocateAligned} can come up short for other sizes.
   */
  static ByteBuffer allocate(int size, int alignment) {
    int rounded = (size + alignment - 1) & -alignment;
    return DirectMemory.allocateAligned(rounded, alignment);
  }

  void fail(int errno, String why) {
    error = errno;
    message = why;
  }

  /**
   * Forgets the per-request state before the request goes back to its pool; returns the large
   * buffer it used, if any, so the pool can keep or drop it (an idle request pins none).
   */
  ByteBuffer recycle() {
    ByteBuffer large = buf == own ? null : buf;
    buf = null;
    message = null;
    extents = null;
    return large;
  }

  @Override
  public void ioDone(BdevException err) {
    owner.ioDone(this, err);
  }

  @Override
  public void run() {
    owner.complete(this);
  }

  @Override
  public void runGated() {
    owner.runGated(this);
  }
}
