package io.caspian.nexus;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.IoCompletion;
import java.nio.ByteBuffer;
import java.util.BitSet;

/** A thin device for tests: only 64 KiB clusters ever written may hold data. */
final class SparseDevice implements BlockDevice {

  static final int CLUSTER = 65536;

  private final BlockDevice inner;
  private final BitSet allocated = new BitSet();

  SparseDevice(BlockDevice inner) {
    this.inner = inner;
  }

  synchronized int allocatedClusters() {
    return allocated.cardinality();
  }

  private synchronized void allocate(long offset, long length) {
    allocated.set((int) (offset / CLUSTER), (int) ((offset + length - 1) / CLUSTER) + 1);
  }

  @Override
  public synchronized boolean mayHoldData(long offset, long length) {
    int next = allocated.nextSetBit((int) (offset / CLUSTER));
    return next >= 0 && next <= (offset + length - 1) / CLUSTER;
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
    allocate(offset, length);
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
    allocate(offset, length);
    inner.writeZeroes(offset, length, done);
  }

  @Override
  public void close() {
    inner.close();
  }
}
