package io.caspian.nexus;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.ForwardingDevice;
import io.caspian.bdev.IoCompletion;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs about half of the I/Os of a device on another thread, some after a short delay, so completions arrive out of order
 * and on foreign threads as they would from a real disk or network.
 */
final class AsyncDevice extends ForwardingDevice {

  private final Executor pool;

  AsyncDevice(BlockDevice inner, Executor pool) {
    super(inner);
    this.pool = pool;
  }

  private void run(Runnable op) {
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    if (rnd.nextBoolean()) {
      long delay = rnd.nextBoolean() ? rnd.nextLong(200_000) : 0;
      pool.execute(() -> {
        if (delay > 0) {
          LockSupport.parkNanos(delay);
        }
        op.run();
      });
    } else {
      op.run();
    }
  }

  @Override
  public void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    run(() -> inner.read(offset, buf, bufOffset, length, done));
  }

  @Override
  public void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    run(() -> inner.write(offset, buf, bufOffset, length, done));
  }

  @Override
  public void flush(IoCompletion done) {
    run(() -> inner.flush(done));
  }

  @Override
  public void unmap(long offset, long length, IoCompletion done) {
    run(() -> inner.unmap(offset, length, done));
  }

  @Override
  public void writeZeroes(long offset, long length, IoCompletion done) {
    run(() -> inner.writeZeroes(offset, length, done));
  }
}
