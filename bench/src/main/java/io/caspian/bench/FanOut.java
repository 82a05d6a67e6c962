package io.caspian.bench;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.IoCompletion;
import io.caspian.bdev.IoType;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The least a mirror must do, as a baseline for the nexus: each write goes to every device and
 * completes when all have answered, passing one of their errors on. No range gate, no segment
 * maps, no faulting. Reads go to the first device; unmap and write-zeroes are not offered.
 */
final class FanOut implements BlockDevice {

  private final BlockDevice[] devs;
  private final Fan[] free;
  private int top;

  /** @param maxInFlight writes outstanding at once, at most */
  FanOut(BlockDevice[] devs, int maxInFlight) {
    this.devs = devs.clone();
    this.free = new Fan[maxInFlight];
    for (int i = 0; i < maxInFlight; i++) {
      free[top++] = new Fan();
    }
  }

  @Override
  public String uri() {
    return "fanout:///" + devs.length;
  }

  @Override
  public int blockSize() {
    return devs[0].blockSize();
  }

  @Override
  public long blockCount() {
    long n = Long.MAX_VALUE;
    for (BlockDevice d : devs) {
      n = Math.min(n, d.blockCount());
    }
    return n;
  }

  @Override
  public int bufferAlignment() {
    int a = 1;
    for (BlockDevice d : devs) {
      a = Math.max(a, d.bufferAlignment());
    }
    return a;
  }

  @Override
  public boolean supports(IoType type) {
    return type == IoType.READ || type == IoType.WRITE || type == IoType.FLUSH;
  }

  @Override
  public void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    devs[0].read(offset, buf, bufOffset, length, done);
  }

  @Override
  public void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    Fan f = take(done);
    for (BlockDevice d : devs) {
      d.write(offset, buf, bufOffset, length, f);
    }
  }

  @Override
  public void flush(IoCompletion done) {
    Fan f = take(done);
    for (BlockDevice d : devs) {
      d.flush(f);
    }
  }

  @Override
  public void unmap(long offset, long length, IoCompletion done) {
    done.ioDone(BdevException.io(BdevException.Kind.NOT_SUPPORTED, uri(), "no unmap"));
  }

  @Override
  public void writeZeroes(long offset, long length, IoCompletion done) {
    done.ioDone(BdevException.io(BdevException.Kind.NOT_SUPPORTED, uri(), "no write-zeroes"));
  }

  /** The devices belong to the caller. */
  @Override
  public void close() {}

  private Fan take(IoCompletion done) {
    Fan f;
    synchronized (free) {
      if (top == 0) {
        throw new IllegalStateException(uri() + ": more than " + free.length + " writes in flight");
      }
      f = free[--top];
    }
    f.user = done;
    f.error = null;
    f.pending.set(devs.length);
    return f;
  }

  /** One mirrored write in flight. */
  private final class Fan implements IoCompletion {
    final AtomicInteger pending = new AtomicInteger();
    volatile BdevException error;
    IoCompletion user;

    @Override
    public void ioDone(BdevException err) {
      if (err != null) {
        error = err;
      }
      if (pending.decrementAndGet() == 0) {
        IoCompletion u = user;
        BdevException e = error;
        user = null;
        synchronized (free) {
          free[top++] = this;
        }
        u.ioDone(e);
      }
    }
  }
}
