package io.caspian.bdev;

import java.nio.ByteBuffer;

/**
 * A device that passes every call to another one. Wrappers (error injection, and the test devices
 * that hold, reorder or drop I/O) extend it and override only what they change.
 */
public abstract class ForwardingDevice implements BlockDevice {

  protected final BlockDevice inner;

  protected ForwardingDevice(BlockDevice inner) {
    this.inner = inner;
  }

  /** The wrapped device. */
  public BlockDevice inner() {
    return inner;
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
  public int bufferAlignment() {
    return inner.bufferAlignment();
  }

  @Override
  public void watch(DeviceWatcher watcher) {
    inner.watch(watcher);
  }

  @Override
  public void abandon() {
    close();
    inner.abandon();
  }

  @Override
  public boolean supports(IoType type) {
    return inner.supports(type);
  }

  @Override
  public boolean mayHoldData(long offset, long length) {
    return inner.mayHoldData(offset, length);
  }

  @Override
  public void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
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
