package io.caspian.nbd;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.IoCompletion;
import java.nio.ByteBuffer;

/**
 * Requests that do not fall on device block boundaries. The server advertises a minimum block
 * size of 1 (as NBD's default expects), so these are legal; they are rare, and this path may
 * allocate. Writes and zeroes here run under the export's {@link WriteGate} held exclusively,
 * which makes each read-modify-write atomic against every other write to the export.
 */
final class UnalignedIo {

  private UnalignedIo() {}

  /** Reads the covering blocks into the request's buffer and points the reply at the slice. */
  static void read(BlockDevice dev, Request r) {
    long start = floor(dev, r.offset);
    long end = ceil(dev, r.offset + r.length);
    r.dataBuffer((int) (end - start));
    r.dataOffset = (int) (r.offset - start);
    dev.read(start, r.buf, 0, (int) (end - start), r);
  }

  /** Read-modify-write of the covering blocks. */
  static void write(BlockDevice dev, Request r) {
    long start = floor(dev, r.offset);
    int len = (int) (ceil(dev, r.offset + r.length) - start);
    ByteBuffer cover = Request.allocate(len, alignment(dev));
    int delta = (int) (r.offset - start);
    dev.read(start, cover, 0, len, err -> {
      if (err != null) {
        r.ioDone(err);
        return;
      }
      DirectMemory.copy(DirectMemory.address(r.buf) + r.dataOffset,
          DirectMemory.address(cover) + delta, r.length);
      dev.write(start, cover, 0, len, r);
    });
  }

  /**
   * Zeroes the whole blocks inside the range with the device's own write-zeroes, and the partial
   * blocks at either end by read-modify-write.
   */
  static void writeZeroes(BlockDevice dev, Request r) {
    long from = r.offset;
    long to = r.offset + r.length;
    long innerStart = ceil(dev, from);
    long innerEnd = floor(dev, to);
    if (innerStart >= innerEnd) {
      zeroPartial(dev, floor(dev, from), ceil(dev, to), from, to, r);
      return;
    }
    IoCompletion tail = to > innerEnd
        ? err -> chain(err, r, () -> zeroPartial(dev, innerEnd, innerEnd + dev.blockSize(),
            innerEnd, to, r))
        : r;
    IoCompletion head = from < innerStart
        ? err -> chain(err, r, () -> zeroPartial(dev, innerStart - dev.blockSize(), innerStart,
            from, innerStart, tail))
        : tail;
    dev.writeZeroes(innerStart, innerEnd - innerStart, head);
  }

  private static void chain(BdevException err, Request r, Runnable next) {
    if (err != null) {
      r.ioDone(err);
    } else {
      next.run();
    }
  }

  /** Reads [blockStart, blockEnd), zeroes [from, to) in memory and writes the blocks back. */
  private static void zeroPartial(BlockDevice dev, long blockStart, long blockEnd, long from,
      long to, IoCompletion done) {
    int len = (int) (blockEnd - blockStart);
    ByteBuffer cover = Request.allocate(len, alignment(dev));
    dev.read(blockStart, cover, 0, len, err -> {
      if (err != null) {
        done.ioDone(err);
        return;
      }
      DirectMemory.fill(DirectMemory.address(cover) + (from - blockStart), to - from, (byte) 0);
      dev.write(blockStart, cover, 0, len, done);
    });
  }

  private static int alignment(BlockDevice dev) {
    return Math.max(4096, dev.bufferAlignment());
  }

  private static long floor(BlockDevice dev, long offset) {
    return offset / dev.blockSize() * dev.blockSize();
  }

  private static long ceil(BlockDevice dev, long offset) {
    return (offset + dev.blockSize() - 1) / dev.blockSize() * dev.blockSize();
  }
}
