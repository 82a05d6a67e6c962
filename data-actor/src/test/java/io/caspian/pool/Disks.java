package io.caspian.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.SyncIo;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** Test helpers for whole-disk checks and patterned data. */
final class Disks {

  private Disks() {}

  /** CRC32C of every byte of a device. */
  static long checksum(BlockDevice dev) throws BdevException {
    int chunk = 1 << 20;
    ByteBuffer b = DirectMemory.allocate(chunk);
    CRC32C crc = new CRC32C();
    for (long off = 0; off < dev.size(); off += chunk) {
      int len = (int) Math.min(chunk, dev.size() - off);
      SyncIo.read(dev, off, b, 0, len);
      crc.update(b.duplicate().position(0).limit(len));
    }
    return crc.getValue();
  }

  /**
   * A direct buffer of at least {@code length} bytes: whole 4 KiB pages, because {@code
   * DirectMemory.allocate} returns a too-small buffer for sizes that are not a multiple of the
   * alignment.
   */
  static ByteBuffer buffer(int length) {
    return DirectMemory.allocate((length + 4095) / 4096 * 4096);
  }

  static byte[] read(BlockDevice dev, long offset, int length) throws BdevException {
    ByteBuffer b = buffer(length);
    SyncIo.read(dev, offset, b, 0, length);
    byte[] out = new byte[length];
    b.get(0, out);
    return out;
  }

  static void write(BlockDevice dev, long offset, byte[] data) throws BdevException {
    ByteBuffer b = buffer(data.length);
    b.put(0, data);
    SyncIo.write(dev, offset, b, 0, data.length);
  }

  /** Deterministic bytes for a (seed, length). */
  static byte[] pattern(long seed, int length) {
    byte[] out = new byte[length];
    long x = seed * 0x9E3779B97F4A7C15L + 1;
    for (int i = 0; i < length; i++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      out[i] = (byte) x;
    }
    return out;
  }

  static void assertZero(byte[] data, String what) {
    for (int i = 0; i < data.length; i++) {
      if (data[i] != 0) {
        assertEquals(0, data[i], what + ": non-zero byte at " + i);
      }
    }
  }
}
