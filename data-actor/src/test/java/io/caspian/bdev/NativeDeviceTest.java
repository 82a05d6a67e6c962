package io.caspian.bdev;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The AIO and io_uring devices against real files, through {@link DeviceOpener}. */
class NativeDeviceTest {

  private final DeviceOpener opener = DeviceOpener.standard();

  @TempDir
  Path dir;

  private String uri(String scheme, String name, String params) {
    return scheme + "://" + dir.resolve(name) + (params.isEmpty() ? "" : "?" + params);
  }

  @ParameterizedTest
  @ValueSource(strings = {"aio", "uring"})
  void randomChecksummedWritesFromSeveralThreadsReadBackIntact(String scheme) throws Exception {
    try (BlockDevice dev = opener.open(uri(scheme, "load.img", "size_mb=16"))) {
      assertEquals(16 << 20, dev.size());
      assertEquals(512, dev.blockSize());
      assertEquals(512, dev.bufferAlignment());
      ChecksummedLoad load = new ChecksummedLoad(dev);
      long writes = load.writeRandomly(4, 12, 1500);
      assertTrue(writes > 100, "only " + writes + " writes completed");
      SyncIo.flush(dev);
      load.verifyAll(32);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"aio", "uring", "file"})
  void flushedDataIsInTheFileAndSurvivesReopen(String scheme) throws Exception {
    byte[] data = new byte[64 << 10];
    ThreadLocalRandom.current().nextBytes(data);
    ByteBuffer buf = DirectMemory.allocate(data.length);
    buf.put(0, data);
    try (BlockDevice dev = opener.open(uri(scheme, "persist.img", "size_mb=8&blk_size=4096"))) {
      assertEquals(4096, dev.blockSize());
      assertEquals(2048, dev.blockCount());
      SyncIo.write(dev, 1 << 20, buf);
      SyncIo.flush(dev);
    }
    Path file = dir.resolve("persist.img");
    assertEquals(8 << 20, Files.size(file));
    ByteBuffer plain = ByteBuffer.allocate(data.length);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ch.read(plain, 1 << 20);
    }
    assertArrayEquals(data, plain.array());
    try (BlockDevice dev = opener.open(uri(scheme, "persist.img", ""))) {
      assertEquals(8 << 20, dev.size());
      ByteBuffer back = DirectMemory.allocate(data.length);
      SyncIo.read(dev, 1 << 20, back);
      assertEquals(buf, back);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"aio", "uring"})
  void writeZeroesZeroesAndUnmapReleasesOnlyTheirRange(String scheme) throws Exception {
    int len = 256 << 10;
    byte[] data = new byte[len];
    ThreadLocalRandom.current().nextBytes(data);
    ByteBuffer buf = DirectMemory.allocate(len);
    buf.put(0, data);
    ByteBuffer back = DirectMemory.allocate(len);
    try (BlockDevice dev = opener.open(uri(scheme, "zero.img", "size_mb=4"))) {
      SyncIo.write(dev, 0, buf);
      SyncIo.writeZeroes(dev, 64 << 10, 64 << 10);
      SyncIo.unmap(dev, 128 << 10, 64 << 10);
      SyncIo.flush(dev);
      SyncIo.read(dev, 0, back);
    }
    for (int i = 0; i < len; i++) {
      boolean cleared = i >= 64 << 10 && i < 192 << 10;
      // Unmap is advisory in general; on a regular file it punches a hole, which reads as zeroes.
      byte want = cleared ? 0 : data[i];
      if (back.get(i) != want) {
        throw new AssertionError("byte " + i + " is " + back.get(i) + ", expected " + want);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"aio", "uring"})
  void badRequestsFailWithClearErrors(String scheme) throws Exception {
    String u = uri(scheme, "bad.img", "size_mb=1");
    BlockDevice dev = opener.open(u);
    ByteBuffer buf = DirectMemory.allocate(8192);
    BdevException past = assertThrows(BdevException.class, () -> SyncIo.read(dev, 1 << 20, buf));
    assertEquals(BdevException.Kind.OUT_OF_RANGE, past.kind());
    assertTrue(past.getMessage().startsWith(u + ": "), past.getMessage());
    assertEquals(BdevException.Kind.OUT_OF_RANGE, assertThrows(BdevException.class,
        () -> SyncIo.writeZeroes(dev, (1 << 20) - 512, 1024)).kind());
    assertEquals(BdevException.Kind.INVALID, assertThrows(BdevException.class,
        () -> SyncIo.read(dev, 100, buf, 0, 4096)).kind());
    BdevException misaligned = assertThrows(BdevException.class,
        () -> SyncIo.write(dev, 0, buf, 256, 4096));
    assertEquals(BdevException.Kind.INVALID, misaligned.kind());
    assertTrue(misaligned.getMessage().contains("aligned to 512"), misaligned.getMessage());
    assertEquals(BdevException.Kind.INVALID, assertThrows(BdevException.class,
        () -> SyncIo.unmap(dev, 0, 100)).kind());
    dev.close();
    dev.close();
    for (BdevException closed : new BdevException[] {
        assertThrows(BdevException.class, () -> SyncIo.read(dev, 0, buf, 0, 4096)),
        assertThrows(BdevException.class, () -> SyncIo.flush(dev)),
        assertThrows(BdevException.class, () -> SyncIo.writeZeroes(dev, 0, 4096))}) {
      assertEquals(BdevException.Kind.CLOSED, closed.kind());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"aio", "uring"})
  void openErrorsNameTheUriAndTheReason(String scheme) throws Exception {
    String missing = uri(scheme, "missing.img", "");
    BdevException e = assertThrows(BdevException.class, () -> opener.open(missing));
    assertEquals(BdevException.Kind.CANT_OPEN, e.kind());
    assertTrue(e.getMessage().startsWith(missing + ": "), e.getMessage());
    assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());

    e = assertThrows(BdevException.class, () -> opener.open(scheme + "://" + dir));
    assertTrue(e.getMessage().contains("is a directory"), e.getMessage());

    Path odd = dir.resolve("odd.img");
    try (RandomAccessFile f = new RandomAccessFile(odd.toFile(), "rw")) {
      f.setLength(4096 + 512);
    }
    e = assertThrows(BdevException.class, () -> opener.open(scheme + "://" + odd + "?blk_size=4096"));
    assertTrue(e.getMessage().contains("not a multiple of the 4096-byte block size"), e.getMessage());

    Path empty = Files.createFile(dir.resolve("empty.img"));
    e = assertThrows(BdevException.class, () -> opener.open(scheme + "://" + empty));
    assertTrue(e.getMessage().contains("is empty"), e.getMessage());

    e = assertThrows(BdevException.class, () -> opener.open(uri(scheme, "x.img", "blk_size=1024")));
    assertTrue(e.getMessage().contains("blk_size"), e.getMessage());
    e = assertThrows(BdevException.class,
        () -> opener.open(uri(scheme, "x.img", "size_mb=1&queue_depth=100000")));
    assertTrue(e.getMessage().contains("queue_depth"), e.getMessage());
    assertTrue(Files.notExists(dir.resolve("x.img")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"aio", "uring"})
  void aShortTransferCompletesWithAnIoError(String scheme) throws Exception {
    Path file = dir.resolve("shrunk.img");
    try (BlockDevice dev = opener.open(uri(scheme, "shrunk.img", "size_mb=1"))) {
      try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
        f.setLength(4096);
      }
      ByteBuffer buf = DirectMemory.allocate(4096);
      BdevException e = assertThrows(BdevException.class, () -> SyncIo.read(dev, 8192, buf));
      assertEquals(BdevException.Kind.IO_ERROR, e.kind());
      assertTrue(e.getMessage().contains("READ at offset 8192 length 4096 transferred 0 bytes"),
          e.getMessage());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"aio", "uring"})
  void closeWithIoInFlightCompletesEveryIoOnceAndDoesNotHang(String scheme) throws Exception {
    int n = 256;
    ByteBuffer buf = DirectMemory.allocate(n * 4096);
    AtomicIntegerArray calls = new AtomicIntegerArray(n);
    AtomicReferenceArray<BdevException> errors = new AtomicReferenceArray<>(n);
    CountDownLatch all = new CountDownLatch(n);
    BlockDevice dev = opener.open(uri(scheme, "close.img", "size_mb=4&queue_depth=64"));
    for (int i = 0; i < n; i++) {
      int k = i;
      dev.write((long) i * 4096, buf, i * 4096, 4096, err -> {
        errors.set(k, err);
        calls.incrementAndGet(k);
        all.countDown();
      });
    }
    long t0 = System.nanoTime();
    dev.close();
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(9), "close took too long");
    assertTrue(all.await(10, TimeUnit.SECONDS), "some I/O never completed");
    for (int i = 0; i < n; i++) {
      assertEquals(1, calls.get(i), "completions of I/O " + i);
      BdevException err = errors.get(i);
      assertTrue(err == null || err.kind() == BdevException.Kind.QUEUE_FULL
          || err.kind() == BdevException.Kind.CLOSED, String.valueOf(err));
    }
    dev.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"aio", "uring"})
  void moreIosThanSlotsFailWithQueueFull(String scheme) throws Exception {
    ByteBuffer buf = DirectMemory.allocate(3 * 4096);
    CountDownLatch holdReaper = new CountDownLatch(1);
    CountDownLatch reaperHeld = new CountDownLatch(1);
    AtomicReferenceArray<BdevException> errors = new AtomicReferenceArray<>(3);
    CountDownLatch all = new CountDownLatch(3);
    try (BlockDevice dev = opener.open(uri(scheme, "full.img", "size_mb=1&queue_depth=1"))) {
      // The first completion blocks the reaper, so the second I/O cannot complete and keeps
      // the only slot: the third finds none.
      dev.write(0, buf, 0, 4096, err -> {
        errors.set(0, err);
        reaperHeld.countDown();
        awaitQuietly(holdReaper);
        all.countDown();
      });
      assertTrue(reaperHeld.await(10, TimeUnit.SECONDS));
      for (int i = 1; i < 3; i++) {
        int k = i;
        dev.write(4096L * i, buf, 4096 * i, 4096, err -> {
          errors.set(k, err);
          all.countDown();
        });
      }
      holdReaper.countDown();
      assertTrue(all.await(10, TimeUnit.SECONDS));
    }
    assertEquals(null, errors.get(0));
    assertEquals(null, errors.get(1));
    assertEquals(BdevException.Kind.QUEUE_FULL, errors.get(2).kind());
    assertTrue(errors.get(2).getMessage().contains("queue_depth"), errors.get(2).getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"aio", "uring"})
  void kernelErrorsCompleteWithTheErrnoText(String scheme) throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "needs root to mount a 1 MiB tmpfs that fills up; running as "
            + System.getProperty("user.name"));
    Path mnt = Files.createDirectory(dir.resolve("small-fs"));
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs",
        mnt.toString()).redirectErrorStream(true).start();
    Assumptions.assumeTrue(mount.waitFor(20, TimeUnit.SECONDS) && mount.exitValue() == 0,
        "cannot mount a tmpfs: " + new String(mount.getInputStream().readAllBytes()));
    try (BlockDevice dev = opener.open(scheme + "://" + mnt.resolve("thin.img") + "?size_mb=4")) {
      ByteBuffer buf = DirectMemory.allocate(64 << 10);
      BdevException full = null;
      for (long off = 0; off < dev.size() && full == null; off += buf.capacity()) {
        try {
          SyncIo.write(dev, off, buf);
        } catch (BdevException e) {
          full = e;
        }
      }
      assertTrue(full != null, "4 MiB fit in a 1 MiB file system");
      assertEquals(BdevException.Kind.NO_SPACE, full.kind());
      assertTrue(full.getMessage().matches(".*WRITE at offset \\d+ length 65536 failed: "
          + "No space left on device \\(errno 28\\)"), full.getMessage());
      SyncIo.read(dev, 0, buf);
    } finally {
      new ProcessBuilder("umount", "-l", mnt.toString()).start().waitFor(20, TimeUnit.SECONDS);
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
