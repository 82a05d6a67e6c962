package io.caspian.nbd;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.ForwardingDevice;

/** A test device that reports everything from {@code allocatedEnd} on as never written. */
final class ThinDevice extends ForwardingDevice {

  private final long allocatedEnd;

  ThinDevice(BlockDevice inner, long allocatedEnd) {
    super(inner);
    this.allocatedEnd = allocatedEnd;
  }

  @Override
  public boolean mayHoldData(long offset, long length) {
    return offset < allocatedEnd;
  }
}
