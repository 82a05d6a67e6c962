package io.caspian.bdev;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A quick fio-like measurement, for information only: 4 KiB random reads and writes at queue
 * depth 32 on a 256 MiB file, a few seconds each. Run with {@code -Dcaspian.bench=true}.
 */
@EnabledIfSystemProperty(named = "caspian.bench", matches = "true")
class NativeDeviceBenchTest {

  private static final int IO = 4096;
  private static final int DEPTH = 32;
  private static final long SECONDS = 3;

  @TempDir
  Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"aio", "uring"})
  void randomReadAndWriteIops(String scheme) throws Exception {
    try (BlockDevice dev = DeviceOpener.standard()
        .open(scheme + "://" + dir.resolve("bench.img") + "?size_mb=256")) {
      ByteBuffer chunk = DirectMemory.allocate(1 << 20);
      for (long off = 0; off < dev.size(); off += chunk.capacity()) {
        SyncIo.write(dev, off, chunk);
      }
      SyncIo.flush(dev);
      double write = iops(dev, true);
      double read = iops(dev, false);
      System.out.printf("%s: randwrite %.0f IOPS, randread %.0f IOPS (4 KiB, QD%d, %d s each)%n",
          scheme, write, read, DEPTH, SECONDS);
    }
  }

  private static double iops(BlockDevice dev, boolean write) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
    AtomicLong count = new AtomicLong();
    AtomicReference<BdevException> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(DEPTH);
    long t0 = System.nanoTime();
    for (int i = 0; i < DEPTH; i++) {
      new IoCompletion() {
        final ByteBuffer buf = DirectMemory.allocate(IO);
        long x = System.nanoTime() | 1;

        {
          next();
        }

        void next() {
          x ^= x << 13;
          x ^= x >>> 7;
          x ^= x << 17;
          long offset = Long.remainderUnsigned(x, dev.size() / IO) * IO;
          if (write) {
            dev.write(offset, buf, 0, IO, this);
          } else {
            dev.read(offset, buf, 0, IO, this);
          }
        }

        @Override
        public void ioDone(BdevException err) {
          if (err != null) {
            failure.set(err);
            done.countDown();
          } else if (System.nanoTime() < deadline) {
            count.incrementAndGet();
            next();
          } else {
            done.countDown();
          }
        }
      };
    }
    assertTrue(done.await(SECONDS + 30, TimeUnit.SECONDS), "I/O hung");
    if (failure.get() != null) {
      throw failure.get();
    }
    return count.get() / ((System.nanoTime() - t0) / 1e9);
  }
}
