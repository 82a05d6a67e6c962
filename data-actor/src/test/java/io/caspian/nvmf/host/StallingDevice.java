package io.caspian.nvmf.host;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.IoCompletion;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** A device whose reads can be made to hang: they are held until {@link #release()}. */
final class StallingDevice implements BlockDevice {

  private final BlockDevice inner;
  private final List<Runnable> held = new ArrayList<>();
  private boolean stalled;

  StallingDevice(BlockDevice inner) {
    this.inner = inner;
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
  public String uri() {
    return inner.uri();
  }

  @Override
  public int blockSize() {
    return inner.blockSize();
  }

  @Override
  public long blockCount() {
    return inner.blockCount();
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
    inner.write(offset, buf, bufOffset, length, done);
  }

  @Override
  public void flush(IoCompletion done) {
    inner.flush(done);
  }

  @Override
  public void unmap(long offset, long length, IoCompletion done) {
    inner.unmap(offset, length, done);
  }

  @Override
  public void writeZeroes(long offset, long length, IoCompletion done) {
    inner.writeZeroes(offset, length, done);
  }

  @Override
  public void close() {
    inner.close();
  }
}
