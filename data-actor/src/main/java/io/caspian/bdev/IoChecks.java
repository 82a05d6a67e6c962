package io.caspian.bdev;

import static io.caspian.bdev.BdevException.Kind.INVALID;
import static io.caspian.bdev.BdevException.Kind.OUT_OF_RANGE;

import java.nio.ByteBuffer;

/**
 * Validation shared by every device: a request that would touch memory or blocks it must not is
 * turned into an error completion before it reaches the medium.
 */
public final class IoChecks {

  private IoChecks() {}

  /** Checks a data I/O; returns the error to complete with, or {@code null} when it is valid. */
  public static BdevException data(
      BlockDevice dev, IoType type, long offset, ByteBuffer buf, int bufOffset, int length) {
    if (buf == null || !buf.isDirect()) {
      return BdevException.io(INVALID, dev.uri(), type + " needs a direct buffer");
    }
    if (bufOffset < 0 || length < 0 || (long) bufOffset + length > buf.capacity()) {
      return BdevException.io(INVALID, dev.uri(), type + " buffer range [" + bufOffset + ", +"
          + length + ") outside a buffer of " + buf.capacity() + " bytes");
    }
    if (type == IoType.READ && buf.isReadOnly()) {
      return BdevException.io(INVALID, dev.uri(), "READ into a read-only buffer");
    }
    int align = dev.bufferAlignment();
    if (align > 1 && ((DirectMemory.address(buf) + bufOffset) & (align - 1)) != 0) {
      return BdevException.io(INVALID, dev.uri(),
          type + " buffer is not aligned to " + align + " bytes");
    }
    return range(dev, type, offset, length);
  }

  /** Checks the block range of any I/O; returns the error, or {@code null} when it is valid. */
  public static BdevException range(BlockDevice dev, IoType type, long offset, long length) {
    int bs = dev.blockSize();
    if (offset < 0 || length <= 0 || offset % bs != 0 || length % bs != 0) {
      return BdevException.io(INVALID, dev.uri(), type + " at offset " + offset + " length "
          + length + " is not a positive multiple of the " + bs + "-byte block size");
    }
    long size = dev.size();
    if (offset > size - length) {
      return BdevException.io(OUT_OF_RANGE, dev.uri(), type + " at offset " + offset
          + " length " + length + " goes past the end of the device (" + size + " bytes)");
    }
    return null;
  }
}
