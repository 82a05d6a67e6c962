package io.caspian.bdev;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Heap bytes allocated per I/O on the success path, on the reaper (completions resubmitting,
 * the batched path) and on a caller thread (the direct path), counted by the JVM per thread.
 */
class NativeAllocationTest {

  private static final int DEPTH = 32;
  private static final int IO = 4096;

  @TempDir
  Path dir;

  private final com.sun.management.ThreadMXBean threads =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  @ParameterizedTest
  @ValueSource(strings = {"aio", "uring"})
  void theSuccessPathAllocatesNothingPerIo(String scheme) throws Exception {
    try (BlockDevice dev = DeviceOpener.standard()
        .open(scheme + "://" + dir.resolve("alloc.img") + "?size_mb=16")) {
      Lane[] lanes = new Lane[DEPTH];
      for (int i = 0; i < DEPTH; i++) {
        lanes[i] = new Lane(dev, i);
      }
      run(lanes, 2000);
      Thread reaper = lanes[0].thread;
      long before = threads.getThreadAllocatedBytes(reaper.getId());
      int perLane = 500;
      run(lanes, perLane);
      long reaperBytes = threads.getThreadAllocatedBytes(reaper.getId()) - before;
      double reaperPerIo = (double) reaperBytes / (DEPTH * perLane);

      Lane caller = new Lane(dev, 0);
      callerIos(caller, 2000);
      long self = Thread.currentThread().getId();
      before = threads.getThreadAllocatedBytes(self);
      int n = 5000;
      callerIos(caller, n);
      double callerPerIo = (double) (threads.getThreadAllocatedBytes(self) - before) / n;

      System.out.printf("%s: %.2f bytes/IO on the reaper (QD%d), %.2f bytes/IO on a caller (QD1)%n",
          scheme, reaperPerIo, DEPTH, callerPerIo);
      // Loose bounds: a per-I/O object (exception, lambda, boxed value) costs at least 16 bytes.
      assertTrue(reaperPerIo < 4, "reaper allocates " + reaperPerIo + " bytes per I/O");
      assertTrue(callerPerIo < 4, "caller allocates " + callerPerIo + " bytes per I/O");
    }
  }

  private static void run(Lane[] lanes, int iosPerLane) throws Exception {
    CountDownLatch done = new CountDownLatch(lanes.length);
    for (Lane l : lanes) {
      l.start(iosPerLane, done);
    }
    assertTrue(done.await(60, TimeUnit.SECONDS), "I/O hung");
    for (Lane l : lanes) {
      assertNull(l.error);
    }
  }

  /** One I/O at a time from this thread, waiting by spinning so that waiting allocates nothing. */
  private static void callerIos(Lane lane, int n) {
    for (int i = 0; i < n; i++) {
      lane.pending = true;
      lane.submit();
      while (lane.pending) {
        Thread.onSpinWait();
      }
      assertNull(lane.error);
    }
  }

  /** Keeps one I/O going, alternating random reads and writes within its own 4 KiB blocks. */
  private static final class Lane implements IoCompletion {
    private final BlockDevice dev;
    private final ByteBuffer buf = DirectMemory.allocate(IO);
    private final long blocks;
    private long x;
    private int left;
    private CountDownLatch done;
    volatile boolean pending;
    volatile Thread thread;
    volatile BdevException error;

    Lane(BlockDevice dev, int id) {
      this.dev = dev;
      this.blocks = dev.size() / IO;
      this.x = 0x9E3779B97F4A7C15L * (id + 1);
    }

    void start(int ios, CountDownLatch latch) {
      left = ios;
      done = latch;
      submit();
    }

    void submit() {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      long offset = Long.remainderUnsigned(x, blocks) * IO;
      if ((x & 1) == 0) {
        dev.read(offset, buf, 0, IO, this);
      } else {
        dev.write(offset, buf, 0, IO, this);
      }
    }

    @Override
    public void ioDone(BdevException err) {
      thread = Thread.currentThread();
      if (err != null) {
        error = err;
      }
      if (done == null) {
        pending = false;
      } else if (--left > 0 && err == null) {
        submit();
      } else {
        CountDownLatch d = done;
        done = null;
        d.countDown();
      }
    }
  }
}
