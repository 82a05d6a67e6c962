package io.caspian.nexus;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.ForwardingDevice;
import io.caspian.bdev.IoCompletion;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Lets a test catch one read or write in the act: it runs on the device but its completion is
 * held back until {@link #release}, widening a race window at will.
 */
final class HoldingDevice extends ForwardingDevice {

  private final AtomicBoolean armed = new AtomicBoolean();
  private final AtomicBoolean armedWrite = new AtomicBoolean();
  final CountDownLatch held = new CountDownLatch(1);
  private volatile IoCompletion heldDone;
  private volatile BdevException heldError;

  HoldingDevice(BlockDevice inner) {
    super(inner);
  }

  void holdNextRead() {
    armed.set(true);
  }

  void holdNextWrite() {
    armedWrite.set(true);
  }

  void release() {
    heldDone.ioDone(heldError);
  }

  @Override
  public void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    if (armed.compareAndSet(true, false)) {
      inner.read(offset, buf, bufOffset, length, e -> {
        heldError = e;
        heldDone = done;
        held.countDown();
      });
    } else {
      inner.read(offset, buf, bufOffset, length, done);
    }
  }

  @Override
  public void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    if (armedWrite.compareAndSet(true, false)) {
      inner.write(offset, buf, bufOffset, length, e -> {
        heldError = e;
        heldDone = done;
        held.countDown();
      });
    } else {
      inner.write(offset, buf, bufOffset, length, done);
    }
  }
}
