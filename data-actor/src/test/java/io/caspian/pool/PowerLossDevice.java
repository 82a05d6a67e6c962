package io.caspian.pool;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.ForwardingDevice;
import io.caspian.bdev.IoCompletion;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A disk that loses power after its {@code cutAfter}-th write (writes, write-zeroes and unmaps
 * count): that write lands (or, when {@code tear}, only the first half of its blocks does) and
 * every later one is dropped while still reporting success, as a cache that never reached the
 * medium would. Reads and flushes pass through. Closing it leaves the wrapped disk open, so a
 * test can "restart the process" by wrapping the same memory again.
 */
final class PowerLossDevice extends ForwardingDevice {

  private final long cutAfter;
  private final boolean tear;
  private final AtomicLong writes = new AtomicLong();
  private volatile boolean lost;
  private volatile boolean closed;

  PowerLossDevice(BlockDevice inner, long cutAfter, boolean tear) {
    super(inner);
    this.cutAfter = cutAfter;
    this.tear = tear;
  }

  /** A pass-through wrapper: never loses power. */
  static PowerLossDevice reliable(BlockDevice inner) {
    return new PowerLossDevice(inner, Long.MAX_VALUE, false);
  }

  long writes() {
    return writes.get();
  }

  /** Whether some write was dropped or torn: everything acknowledged after that is suspect. */
  boolean lost() {
    return lost;
  }

  @Override
  public void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    if (closed) {
      done.ioDone(closedError());
    } else {
      inner.read(offset, buf, bufOffset, length, done);
    }
  }

  @Override
  public void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    if (closed) {
      done.ioDone(closedError());
      return;
    }
    long n = writes.incrementAndGet();
    if (n < cutAfter || (n == cutAfter && !tear)) {
      inner.write(offset, buf, bufOffset, length, done);
      return;
    }
    lost = true;
    int kept = n == cutAfter ? length / blockSize() / 2 * blockSize() : 0;
    if (kept > 0) {
      inner.write(offset, buf, bufOffset, kept, e -> done.ioDone(null));
    } else {
      done.ioDone(null);
    }
  }

  @Override
  public void flush(IoCompletion done) {
    if (closed) {
      done.ioDone(closedError());
    } else {
      inner.flush(done);
    }
  }

  @Override
  public void unmap(long offset, long length, IoCompletion done) {
    zeroes(offset, length, done, true);
  }

  @Override
  public void writeZeroes(long offset, long length, IoCompletion done) {
    zeroes(offset, length, done, false);
  }

  private void zeroes(long offset, long length, IoCompletion done, boolean unmap) {
    if (closed) {
      done.ioDone(closedError());
      return;
    }
    long n = writes.incrementAndGet();
    long kept = length;
    if (n > cutAfter || (n == cutAfter && tear)) {
      lost = true;
      kept = n == cutAfter ? length / blockSize() / 2 * blockSize() : 0;
    }
    if (kept == 0) {
      done.ioDone(null);
    } else if (unmap) {
      inner.unmap(offset, kept, kept == length ? done : e -> done.ioDone(null));
    } else {
      inner.writeZeroes(offset, kept, kept == length ? done : e -> done.ioDone(null));
    }
  }

  @Override
  public void close() {
    closed = true;
  }

  private BdevException closedError() {
    return BdevException.io(BdevException.Kind.CLOSED, uri(), "device is closed");
  }
}
