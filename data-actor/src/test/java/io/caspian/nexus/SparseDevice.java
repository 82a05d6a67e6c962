package io.caspian.nexus;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.ForwardingDevice;
import io.caspian.bdev.IoCompletion;
import java.nio.ByteBuffer;
import java.util.BitSet;

/** A thin device for tests: only 64 KiB clusters ever written may hold data. */
final class SparseDevice extends ForwardingDevice {

  static final int CLUSTER = 65536;

  private final BitSet allocated = new BitSet();

  SparseDevice(BlockDevice inner) {
    super(inner);
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
  public void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    allocate(offset, length);
    inner.write(offset, buf, bufOffset, length, done);
  }

  @Override
  public void writeZeroes(long offset, long length, IoCompletion done) {
    allocate(offset, length);
    inner.writeZeroes(offset, length, done);
  }
}
