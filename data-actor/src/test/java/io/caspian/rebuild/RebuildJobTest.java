package io.caspian.rebuild;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.ForwardingDevice;
import io.caspian.bdev.IoCompletion;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import java.nio.ByteBuffer;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A rebuild job's pace against what the front end does: every task while the nexus is idle, one
 * task with pauses while it serves I/O, every task again once it is quiet; the copy is whole in
 * each case.
 */
class RebuildJobTest {
  private static final int SEGMENT = SegmentMap.DEFAULT_SEGMENT_SIZE;
  private static final long SIZE = 16L << 20;

  private final ScheduledExecutorService executor = Executors.newScheduledThreadPool(2);

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  @Test
  void anIdleFrontEndGetsEveryTask() throws Exception {
    Rebuilt r = rebuild(() -> 0, RebuildOptions.DEFAULT);
    assertTrue(r.dest.maxInFlight.get() > 1, "copies in flight at once: " + r.dest.maxInFlight);
  }

  @Test
  void aBusyFrontEndLeavesOneTaskThatPausesBetweenSegments() throws Exception {
    AtomicLong io = new AtomicLong();
    Rebuilt r = rebuild(io::incrementAndGet, RebuildOptions.DEFAULT);
    assertEquals(1, r.dest.maxInFlight.get(), "copies in flight at once while the front end is busy");
    // 256 segments of at least DELAY each, and a pause of YIELD_FACTOR times that after each
    long floor = SIZE / SEGMENT * SlowDevice.DELAY_NANOS * RebuildJob.YIELD_FACTOR;
    assertTrue(r.nanos > floor, "a yielding rebuild took " + r.nanos + " ns, under " + floor);
  }

  @Test
  void withoutYieldingABusyFrontEndChangesNothing() throws Exception {
    AtomicLong io = new AtomicLong();
    Rebuilt r = rebuild(io::incrementAndGet, new RebuildOptions(RebuildOptions.MAX_TASKS, 0, false));
    assertTrue(r.dest.maxInFlight.get() > 1, "copies in flight at once: " + r.dest.maxInFlight);
  }

  @Test
  void everyTaskComesBackOnceTheFrontEndIsQuiet() throws Exception {
    AtomicLong io = new AtomicLong();
    AtomicLong first = new AtomicLong();
    long busy = TimeUnit.MILLISECONDS.toNanos(50);
    // busy from the job's first look at the front end, for 50 ms
    Rebuilt r = rebuild(() -> {
      long now = System.nanoTime();
      first.compareAndSet(0, now);
      return now - first.get() < busy ? io.incrementAndGet() : io.get();
    }, RebuildOptions.DEFAULT);
    assertEquals(1, r.dest.maxInFlightBefore(first.get() + busy), "copies in flight while busy");
    assertTrue(r.dest.maxInFlight.get() > 1, "copies in flight once quiet: " + r.dest.maxInFlight);
  }

  private record Rebuilt(SlowDevice dest, long nanos) {
  }

  /** Rebuilds a whole malloc device onto another through a device that completes late. */
  private Rebuilt rebuild(LongSupplier activity, RebuildOptions options) throws Exception {
    try (MallocDevice src = new MallocDevice("malloc:///src", SIZE, 512);
        MallocDevice raw = new MallocDevice("malloc:///dst", SIZE, 512)) {
      byte[] pattern = new byte[(int) SIZE];
      new java.util.Random(7).nextBytes(pattern);
      ByteBuffer buf = ByteBuffer.allocateDirect((int) SIZE);
      buf.put(pattern).flip();
      SyncIo.write(src, 0, buf, 0, (int) SIZE);
      SlowDevice dest = new SlowDevice(raw, executor);
      SegmentMap map = new SegmentMap(SIZE, SEGMENT);
      map.markAll();
      RebuildJob job = new RebuildJob(src, dest, map, new RangeGate(SEGMENT, 64), new Host(src, activity),
          executor, options, false);
      long t0 = System.nanoTime();
      job.start();
      RebuildRecord rec = job.completion().get(60, TimeUnit.SECONDS);
      long nanos = System.nanoTime() - t0;
      assertEquals(RebuildState.COMPLETED, rec.state(), rec.cause());
      ByteBuffer back = ByteBuffer.allocateDirect((int) SIZE);
      SyncIo.read(raw, 0, back, 0, (int) SIZE);
      byte[] copied = new byte[(int) SIZE];
      back.get(copied);
      assertArrayEquals(pattern, copied, "the destination holds the source's data");
      return new Rebuilt(dest, nanos);
    }
  }

  /** A nexus with one in-sync child, whose front end does what {@code activity} says. */
  private record Host(BlockDevice source, LongSupplier activity) implements RebuildHost {
    @Override
    public boolean inSync(BlockDevice dev) {
      return dev == source;
    }

    @Override
    public boolean receivesWrites(BlockDevice dev) {
      return true;
    }

    @Override
    public BlockDevice pickSource(BlockDevice avoid) {
      return avoid == source ? null : source;
    }

    @Override
    public void sourceReadFailed(BlockDevice source, BdevException error) {
    }

    @Override
    public long frontEndActivity() {
      return activity.getAsLong();
    }

    @Override
    public void finished(RebuildJob job) {
    }
  }

  /** Completes each write {@link #DELAY_NANOS} late, so that copies can overlap; counts how many do. */
  private static final class SlowDevice extends ForwardingDevice {
    static final long DELAY_NANOS = 200_000;
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    /** The most writes in flight at once among those that started before a given moment. */
    private final java.util.concurrent.ConcurrentLinkedQueue<long[]> starts =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService executor;

    SlowDevice(BlockDevice inner, ScheduledExecutorService executor) {
      super(inner);
      this.executor = executor;
    }

    @Override
    public void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
      int now = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(now, Math::max);
      starts.add(new long[] {System.nanoTime(), now});
      inner.write(offset, buf, bufOffset, length, e -> executor.schedule(() -> {
        inFlight.decrementAndGet();
        done.ioDone(e);
      }, DELAY_NANOS, TimeUnit.NANOSECONDS));
    }

    int maxInFlightBefore(long nanos) {
      return (int) starts.stream().filter(s -> s[0] - nanos < 0).mapToLong(s -> s[1]).max().orElse(0);
    }
  }
}
