package io.caspian.nvmf.host;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.ForwardingDevice;
import io.caspian.bdev.IoCompletion;
import io.caspian.bdev.IoType;
import java.util.ArrayList;
import java.util.List;

/**
 * 8 GiB of 4 KiB blocks that records the deallocate and write-zeroes ranges it is sent and completes them at
 * once: ranges past 4 GiB over NVMe/TCP without 8 GiB of memory. Reads and writes are not for it.
 */
final class LargeRangeDevice extends ForwardingDevice {
  static final long SIZE = 8L << 30;

  private final List<long[]> ranges = new ArrayList<>();

  LargeRangeDevice(BlockDevice inner) {
    super(inner);
  }

  @Override
  public int blockSize() {
    return 4096;
  }

  @Override
  public long blockCount() {
    return SIZE / 4096;
  }

  @Override
  public boolean supports(IoType type) {
    return type != IoType.READ && type != IoType.WRITE;
  }

  synchronized List<long[]> ranges() {
    return List.copyOf(ranges);
  }

  @Override
  public void unmap(long offset, long length, IoCompletion done) {
    record(offset, length, done);
  }

  @Override
  public void writeZeroes(long offset, long length, IoCompletion done) {
    record(offset, length, done);
  }

  private void record(long offset, long length, IoCompletion done) {
    synchronized (this) {
      ranges.add(new long[] {offset, length});
    }
    done.ioDone(null);
  }
}
