package io.caspian.nvmf.host;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.ForwardingDevice;
import io.caspian.bdev.IoCompletion;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** A device whose reads and writes can be made to hang: they are held until {@link #release()}. */
final class StallingDevice extends ForwardingDevice {

  private final List<Runnable> held = new ArrayList<>();
  private boolean stalled;

  StallingDevice(BlockDevice inner) {
    super(inner);
  }

  synchronized int held() {
    return held.size();
  }

  synchronized void stall() {
    stalled = true;
  }

  /** Lets held reads run and stops holding new ones. */
  void release() {
    List<Runnable> run;
    synchronized (this) {
      stalled = false;
      run = new ArrayList<>(held);
      held.clear();
    }
    run.forEach(Runnable::run);
  }

  @Override
  public void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    synchronized (this) {
      if (stalled) {
        held.add(() -> inner.read(offset, buf, bufOffset, length, done));
        return;
      }
    }
    inner.read(offset, buf, bufOffset, length, done);
  }

  @Override
  public void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    synchronized (this) {
      if (stalled) {
        held.add(() -> inner.write(offset, buf, bufOffset, length, done));
        return;
      }
    }
    inner.write(offset, buf, bufOffset, length, done);
  }
}
