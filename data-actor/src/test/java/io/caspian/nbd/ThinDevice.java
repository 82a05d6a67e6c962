package io.caspian.nbd;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.IoCompletion;
import java.nio.ByteBuffer;

/** A test device that reports everything from {@code allocatedEnd} on as never written. */
final class ThinDevice implements BlockDevice {

  private final BlockDevice inner;
  private final long allocatedEnd;

  ThinDevice(BlockDevice inner, long allocatedEnd) {
    this.inner = inner;
    this.allocatedEnd = allocatedEnd;
  }

  @Override
  public boolean mayHoldData(long offset, long length) {
    return offset < allocatedEnd;
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
