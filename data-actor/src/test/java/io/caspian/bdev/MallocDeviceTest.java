package io.caspian.bdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

class MallocDeviceTest {

  private final DeviceOpener opener = DeviceOpener.standard();

  @Test
  void writesReadBackAndStartZeroed() throws Exception {
    BlockDevice dev = opener.open("malloc:///m0?size_mb=4&blk_size=4096");
    assertEquals(4096, dev.blockSize());
    assertEquals(1024, dev.blockCount());
    ByteBuffer in = DirectMemory.allocate(8192);
    ByteBuffer out = DirectMemory.allocate(8192);
    SyncIo.read(dev, 4096, out);
    for (int i = 0; i < 8192; i++) {
      assertEquals(0, out.get(i));
    }
    byte[] data = new byte[8192];
    ThreadLocalRandom.current().nextBytes(data);
    in.put(0, data);
    SyncIo.write(dev, 4096, in);
    SyncIo.read(dev, 4096, out);
    assertEquals(in, out);
    SyncIo.writeZeroes(dev, 4096, 4096);
    SyncIo.read(dev, 4096, out);
    assertEquals(0, out.get(0));
    assertEquals(data[4096], out.get(4096));
  }

  @Test
  void badRequestsCompleteWithErrorsNamingTheDevice() throws Exception {
    BlockDevice dev = opener.open("malloc:///m1?size_mb=1");
    ByteBuffer buf = DirectMemory.allocate(4096);
    BdevException past = assertThrows(BdevException.class, () -> SyncIo.read(dev, 1 << 20, buf));
    assertEquals(BdevException.Kind.OUT_OF_RANGE, past.kind());
    assertTrue(past.getMessage().startsWith("malloc:///m1?size_mb=1: "), past.getMessage());
    BdevException unaligned = assertThrows(BdevException.class, () -> SyncIo.read(dev, 100, buf));
    assertEquals(BdevException.Kind.INVALID, unaligned.kind());
    BdevException heap = assertThrows(BdevException.class,
        () -> SyncIo.write(dev, 0, ByteBuffer.allocate(512)));
    assertEquals(BdevException.Kind.INVALID, heap.kind());
    dev.close();
    BdevException closed = assertThrows(BdevException.class, () -> SyncIo.read(dev, 0, buf));
    assertEquals(BdevException.Kind.CLOSED, closed.kind());
  }

  @Test
  void badUrisAreRefusedClearly() {
    BdevException noSize = assertThrows(BdevException.class, () -> opener.open("malloc:///x"));
    assertTrue(noSize.getMessage().contains("size_mb"), noSize.getMessage());
    BdevException scheme = assertThrows(BdevException.class, () -> opener.open("floppy:///a"));
    assertTrue(scheme.getMessage().contains("unknown scheme 'floppy'"), scheme.getMessage());
    BdevException blk = assertThrows(BdevException.class,
        () -> opener.open("malloc:///x?size_mb=1&blk_size=1000"));
    assertTrue(blk.getMessage().contains("blk_size"), blk.getMessage());
    assertThrows(BdevException.class, () -> opener.open("malloc:///x?size_mb=-3"));
    assertThrows(BdevException.class, () -> opener.open("::bad"));
  }

  /** Issue 16: a 95 TiB malloc pool answered 500 with an OutOfMemoryError; it is NO_SPACE with the figures. */
  @Test
  void moreMemoryThanTheHostHasIsNoSpaceWithTheFigures() {
    for (long mb : new long[] {95L << 20, Long.MAX_VALUE >> 10}) {
      BdevException e = assertThrows(BdevException.class,
          () -> opener.open("malloc:///huge?size_mb=" + mb));
      assertEquals(BdevException.Kind.NO_SPACE, e.kind(), e.getMessage());
      assertTrue(e.getMessage().matches(".*malloc device of " + mb + " MiB needs \\d+ bytes of memory; "
          + "the io-engine's host has \\d+ bytes available.*"), e.getMessage());
    }
  }

  @Test
  void bareDevicePathMeansAio() throws Exception {
    DeviceUri u = DeviceUri.parse("/dev/sdx");
    assertEquals("aio", u.scheme());
    assertEquals("/dev/sdx", u.path());
  }

  @Test
  void alignedBuffersKeepTheirSize() {
    for (int size : new int[] {512, 4096, 6000, 1 << 20}) {
      ByteBuffer b = DirectMemory.allocateAligned(size, 4096);
      assertEquals(size, b.capacity());
      assertEquals(0, DirectMemory.address(b) % 4096);
    }
  }
}
