package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.Random;
import java.util.zip.CRC32C;

/** Seeded blocks written through NBD and checked by checksum when read back. */
final class Data {
  static final int BLOCK = 64 << 10;

  private Data() {
  }

  static byte[] block(long seed, int index) {
    byte[] b = new byte[BLOCK];
    new Random(seed * 1_000_003L + index).nextBytes(b);
    return b;
  }

  static long crc(byte[] b) {
    CRC32C c = new CRC32C();
    c.update(b);
    return c.getValue();
  }

  /** Writes {@code blocks} seeded blocks at every {@code stride} bytes, then flushes. */
  static void write(NbdClient c, long seed, int blocks, long stride) throws IOException {
    for (int i = 0; i < blocks; i++) {
      c.write(i * stride, block(seed, i));
    }
    c.flush();
  }

  /** Reads the blocks back and compares their checksums with what was written. */
  static void verify(NbdClient c, long seed, int blocks, long stride) throws IOException {
    for (int i = 0; i < blocks; i++) {
      assertEquals(crc(block(seed, i)), crc(c.read(i * stride, BLOCK)),
          "checksum of block " + i + " at offset " + i * stride);
    }
  }
}
