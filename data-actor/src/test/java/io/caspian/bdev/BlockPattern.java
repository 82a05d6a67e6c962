package io.caspian.bdev;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Self-checking block contents for data-integrity tests: a block written as generation {@code g}
 * of block {@code b} carries b and g in its header, bytes derived from (b, g), and a CRC32C of
 * everything before it, so a read-back proves which write it holds, or that it holds garbage.
 */
final class BlockPattern {

  static final int HEADER = 16;

  private BlockPattern() {}

  /** Fills {@code [off, off + len)} of {@code buf} with generation {@code gen} of {@code block}. */
  static void fill(ByteBuffer buf, int off, int len, long block, long gen) {
    ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(off, block);
    b.putLong(off + 8, gen);
    long x = seed(block, gen);
    for (int i = HEADER; i < len - 4; i++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      b.put(off + i, (byte) x);
    }
    b.putInt(off + len - 4, crc(b, off, len - 4));
  }

  /**
   * The generation a block read back holds: 0 when it is all zeroes. Throws when it is neither
   * zeroes nor an intact write of {@code block}.
   */
  static long verify(ByteBuffer buf, int off, int len, long block) {
    ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    boolean zero = true;
    for (int i = 0; i < len && zero; i += 8) {
      zero = b.getLong(off + i) == 0;
    }
    if (zero) {
      return 0;
    }
    if (b.getInt(off + len - 4) != crc(b, off, len - 4)) {
      throw new AssertionError("block " + block + ": checksum mismatch");
    }
    if (b.getLong(off) != block) {
      throw new AssertionError("block " + block + " holds the data of block " + b.getLong(off));
    }
    long gen = b.getLong(off + 8);
    ByteBuffer expected = ByteBuffer.allocate(len);
    fill(expected, 0, len, block, gen);
    for (int i = 0; i < len; i++) {
      if (expected.get(i) != b.get(off + i)) {
        throw new AssertionError("block " + block + " generation " + gen + ": byte " + i + " differs");
      }
    }
    return gen;
  }

  private static long seed(long block, long gen) {
    long s = block * 0x9E3779B97F4A7C15L + gen * 0xC2B2AE3D27D4EB4FL;
    return s == 0 ? 1 : s;
  }

  private static int crc(ByteBuffer b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b.duplicate().position(off).limit(off + len));
    return (int) c.getValue();
  }
}
