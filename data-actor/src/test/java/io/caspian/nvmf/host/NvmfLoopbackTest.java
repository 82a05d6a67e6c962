package io.caspian.nvmf.host;

import static org.junit.jupiter.api.Assertions.*;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import io.caspian.nvmf.Nvme;
import io.caspian.nvmf.target.NvmfTarget;
import io.netty.util.ResourceLeakDetector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Our initiator against our target over 127.0.0.1, on a malloc device, data verified. */
class NvmfLoopbackTest {

  private static final String HOST = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555";
  private static final int MB = 1 << 20;

  private MallocDevice backing;
  private NvmfTarget target;
  private String nqn;

  @BeforeEach
  void start() throws Exception {
    backing = new MallocDevice("malloc:///loop", 64 * MB, 512);
    target = NvmfTarget.bind("127.0.0.1", 0);
    nqn = Nvme.nqnFor(UUID.randomUUID());
    target.addSubsystem(nqn, backing, Set.of(HOST));
  }

  @AfterEach
  void stop() {
    target.close();
  }

  private String uri(String extra) {
    return "nvmf://127.0.0.1:" + target.port() + "/" + nqn + "?hostnqn=" + HOST + extra;
  }

  private static ByteBuffer pattern(int len, long seed) {
    // DirectMemory.allocate wants whole 4 KiB pages.
    ByteBuffer b = DirectMemory.allocate((len + 4095) & ~4095);
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < len; i += 8) {
      b.putLong(i, r.nextLong());
    }
    return b;
  }

  private static long crc(ByteBuffer b, int len) {
    CRC32C c = new CRC32C();
    ByteBuffer d = b.duplicate();
    d.clear().limit(len);
    c.update(d);
    return c.getValue();
  }

  @Test
  void opensThroughDeviceOpenerAndReportsGeometry() throws Exception {
    DeviceOpener opener = DeviceOpener.standard().with("nvmf", NvmfDevice.factory());
    try (BlockDevice d = opener.open(uri("&io_queues=1&queue_depth=8"))) {
      assertEquals(512, d.blockSize());
      assertEquals(64L * MB / 512, d.blockCount());
      assertTrue(((NvmfDevice) d).controllerInfo().contains("Caspian"));
    }
  }

  @Test
  void randomChecksummedIoAtDepth32FromFourThreads() throws Exception {
    try (NvmfDevice d = NvmfDevice.open(uri("&io_queues=2&queue_depth=16"))) {
      int threads = 4;
      int depth = 8;
      long region = 16L * MB;
      int chunk = 64 * 1024;
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> ts = new ArrayList<>();
      long[] ops = new long[threads];
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      for (int t = 0; t < threads; t++) {
        int id = t;
        ts.add(new Thread(() -> {
          try {
            SplittableRandom rnd = new SplittableRandom(id);
            int chunks = (int) (region / chunk);
            long[] written = new long[chunks];
            int[] writtenLen = new int[chunks];
            ByteBuffer[] bufs = new ByteBuffer[depth];
            for (int i = 0; i < depth; i++) {
              bufs[i] = DirectMemory.allocate(chunk);
            }
            while (System.nanoTime() < end && failure.get() == null) {
              CountDownLatch latch = new CountDownLatch(depth);
              BdevException[] errs = new BdevException[depth];
              int[] which = new int[depth];
              boolean[] isWrite = new boolean[depth];
              int[] lens = new int[depth];
              long[] seeds = new long[depth];
              for (int i = 0; i < depth; i++) {
                int slot = i;
                which[i] = (chunks / depth) * i + rnd.nextInt(chunks / depth);
                long off = id * region + (long) which[i] * chunk;
                isWrite[i] = writtenLen[which[i]] == 0 || rnd.nextBoolean();
                if (isWrite[i]) {
                  lens[i] = (1 + rnd.nextInt(chunk / 4096)) * 4096;
                  seeds[i] = rnd.nextLong();
                  ByteBuffer p = pattern(lens[i], seeds[i]);
                  bufs[i].clear();
                  bufs[i].put(p).clear();
                  d.write(off, bufs[i], 0, lens[i], e -> { errs[slot] = e; latch.countDown(); });
                } else {
                  lens[i] = writtenLen[which[i]];
                  d.read(off, bufs[i], 0, lens[i], e -> { errs[slot] = e; latch.countDown(); });
                }
              }
              assertTrue(latch.await(10, TimeUnit.SECONDS), "I/O batch did not complete");
              for (int i = 0; i < depth; i++) {
                if (errs[i] != null) {
                  throw errs[i];
                }
                if (isWrite[i]) {
                  written[which[i]] = crc(pattern(lens[i], seeds[i]), lens[i]);
                  writtenLen[which[i]] = lens[i];
                } else {
                  assertEquals(written[which[i]], crc(bufs[i], lens[i]),
                      "thread " + id + " chunk " + which[i] + " read back wrong data");
                }
              }
              ops[id] += depth;
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        }));
      }
      ts.forEach(Thread::start);
      for (Thread t : ts) {
        t.join();
      }
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      long total = 0;
      for (long o : ops) {
        total += o;
      }
      System.out.println("loopback random I/O: " + total + " verified ops in ~3 s");
      assertTrue(total > 0);
    }
  }

  @Test
  void largeWritesFlushWriteZeroesAndDeallocate() throws Exception {
    try (NvmfDevice d = NvmfDevice.open(uri("&io_queues=1&queue_depth=4"))) {
      int len = 3 * MB + 4096;
      ByteBuffer data = pattern(len, 42);
      SyncIo.write(d, MB, data, 0, len);
      SyncIo.flush(d);
      ByteBuffer back = DirectMemory.allocate(len);
      SyncIo.read(d, MB, back, 0, len);
      assertEquals(crc(data, len), crc(back, len), "large write read back differently");
      // The target's own device holds the same bytes.
      ByteBuffer local = DirectMemory.allocate(len);
      SyncIo.read(backing, MB, local, 0, len);
      assertEquals(crc(data, len), crc(local, len));

      SyncIo.writeZeroes(d, MB, 64 * 1024);
      SyncIo.unmap(d, MB + 64 * 1024, 64 * 1024);
      SyncIo.read(d, MB, back, 0, 128 * 1024);
      for (int i = 0; i < 128 * 1024; i += 8) {
        assertEquals(0L, back.getLong(i), "not zero at " + i);
      }
      SyncIo.read(d, MB + 128 * 1024, back, 0, 4096);
      assertEquals(data.getLong(128 * 1024), back.getLong(0), "data after the zeroed range changed");

      long last = d.size() - 512;
      ByteBuffer one = pattern(512, 7);
      SyncIo.write(d, last, one, 0, 512);
      ByteBuffer oneBack = DirectMemory.allocate(4096);
      SyncIo.read(d, last, oneBack, 0, 512);
      assertEquals(crc(one, 512), crc(oneBack, 512));
      BdevException past = assertThrows(BdevException.class,
          () -> SyncIo.read(d, d.size(), oneBack, 0, 512));
      assertEquals(BdevException.Kind.OUT_OF_RANGE, past.kind());
    }
  }

  /**
   * A deallocate or write-zeroes of a whole large device (mkfs discards everything first) is cut into
   * commands that together cover exactly the range: each chunk's byte length must fit the int it is
   * counted in, or a 4 GiB chunk of 4 KiB blocks counts as 0 and the same command is sent forever.
   */
  @Test
  void deallocateAndWriteZeroesOfEightGibCoverTheRangeExactly() throws Exception {
    LargeRangeDevice large = new LargeRangeDevice(backing);
    String largeNqn = Nvme.nqnFor(UUID.randomUUID());
    target.addSubsystem(largeNqn, large, Set.of(HOST));
    String u = "nvmf://127.0.0.1:" + target.port() + "/" + largeNqn + "?hostnqn=" + HOST
        + "&io_queues=1&queue_depth=4&io_timeout_ms=5000";
    try (NvmfDevice d = NvmfDevice.open(u)) {
      assertEquals(LargeRangeDevice.SIZE, d.size());
      SyncIo.unmap(d, 0, d.size());
      SyncIo.writeZeroes(d, 4096, d.size() - 4096);
    }
    long unmapped = 0;
    long zeroed = 0;
    long next = 0;
    boolean zeroes = false;
    for (long[] r : large.ranges()) {
      if (!zeroes && r[0] == 4096 && next == LargeRangeDevice.SIZE) {
        zeroes = true;
        next = 4096;
      }
      assertEquals(next, r[0], "ranges follow each other");
      next = r[0] + r[1];
      if (zeroes) {
        zeroed += r[1];
      } else {
        unmapped += r[1];
      }
    }
    assertEquals(LargeRangeDevice.SIZE, unmapped);
    assertEquals(LargeRangeDevice.SIZE - 4096, zeroed);
  }

  /**
   * Our initiator against our target at queue depth 32 (4 KiB reads and writes alternating, each
   * completion submitting the next I/O from the host's event loop) for about 2 s. Prints the
   * bytes allocated per I/O by the NVMe/TCP event loops and by every thread of the JVM; the bound
   * is loose (the figure should be 0) and only catches a return of per-I/O objects.
   *
   * <p>Netty's leak detector is off while measuring, as it should be in production: at its
   * default level it samples one buffer allocation in 128 and records stack traces for it, which
   * alone costs tens of bytes per I/O. That figure is measured and printed too, not asserted.
   */
  @Test
  void measuresEventLoopAllocationPerIo() throws Exception {
    ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
    try {
      double plain = allocationPerIo("", true);
      double digests = allocationPerIo("&hdgst=1&ddgst=1", false);
      assertTrue(plain < 64, "the NVMe/TCP hot path allocates " + plain + " bytes per I/O");
      assertTrue(digests < 64,
          "with digests the NVMe/TCP hot path allocates " + digests + " bytes per I/O");
    } finally {
      ResourceLeakDetector.setLevel(level);
    }
  }

  /** Event-loop bytes per I/O at QD32 with these URI options, leak detector off. */
  private double allocationPerIo(String options, boolean alsoDefaultLeakDetection)
      throws Exception {
    try (NvmfDevice d = NvmfDevice.open(uri("&io_queues=1&queue_depth=32" + options))) {
      Load load = new Load(d, 32);
      load.start();
      Thread.sleep(1000);
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
      String what = options.isEmpty() ? "no digests" : "digests";
      double perIo = measure(load, what + ", leak detection off");
      if (alsoDefaultLeakDetection) {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
        measure(load, what + ", leak detection SIMPLE");
      }
      load.stop();
      assertNull(load.failure.get());
      return perIo;
    }
  }

  /** Prints (does not assert) the mean and 99th percentile latency of 4 KiB I/O at QD1. */
  @Test
  void measuresQueueDepthOneLatency() throws Exception {
    try (NvmfDevice d = NvmfDevice.open(uri("&io_queues=1&queue_depth=4"))) {
      ByteBuffer buf = pattern(4096, 11);
      long[] nanos = new long[200_000];
      int n = 0;
      long warmEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
      long end = warmEnd + TimeUnit.SECONDS.toNanos(1);
      for (int i = 0; System.nanoTime() < end && n < nanos.length; i++) {
        long t0 = System.nanoTime();
        if ((i & 1) == 0) {
          SyncIo.write(d, (i % 64) * 4096L, buf, 0, 4096);
        } else {
          SyncIo.read(d, (i % 64) * 4096L, buf, 0, 4096);
        }
        long t1 = System.nanoTime();
        if (t0 > warmEnd) {
          nanos[n++] = t1 - t0;
        }
      }
      assertTrue(n > 0);
      long[] got = java.util.Arrays.copyOf(nanos, n);
      java.util.Arrays.sort(got);
      System.out.printf("QD1 4 KiB read/write: %d I/Os, mean %.1f us, p50 %.1f us, p99 %.1f us%n",
          n, java.util.Arrays.stream(got).average().orElse(0) / 1000, got[n / 2] / 1000.0,
          got[(int) (n * 0.99)] / 1000.0);
    }
  }

  /** Runs {@code load} for 2 s more; returns the event loops' bytes per I/O. */
  private static double measure(Load load, String what) throws InterruptedException {
    long[] ids = Thread.getAllStackTraces().keySet().stream().mapToLong(Thread::getId).toArray();
    long[] loops = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("nvmf-")).mapToLong(Thread::getId).toArray();
    long ops0 = load.ops.get();
    long all0 = allocated(ids);
    long loops0 = allocated(loops);
    Thread.sleep(2000);
    long loopBytes = allocated(loops) - loops0;
    long allBytes = allocated(ids) - all0;
    long ops = load.ops.get() - ops0;
    assertTrue(ops > 0, "no I/O completed");
    double perIo = (double) loopBytes / ops;
    System.out.printf("QD32 4 KiB, %s: %d I/Os in 2 s; event loops (%d threads) allocated %.1f"
        + " bytes per I/O, all %d threads %.1f bytes per I/O%n", what, ops, loops.length, perIo,
        ids.length, (double) allBytes / ops);
    return perIo;
  }

  /** Keeps {@code depth} 4 KiB I/Os in flight; each slot resubmits itself on completion. */
  private static final class Load {
    final java.util.concurrent.atomic.AtomicLong ops = new java.util.concurrent.atomic.AtomicLong();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final NvmfDevice dev;
    private final Slot[] slots;
    private volatile boolean stopping;
    private final CountDownLatch stopped;

    Load(NvmfDevice dev, int depth) {
      this.dev = dev;
      this.slots = new Slot[depth];
      this.stopped = new CountDownLatch(depth);
      for (int i = 0; i < depth; i++) {
        slots[i] = new Slot(i);
      }
    }

    void start() {
      for (Slot s : slots) {
        s.next();
      }
    }

    void stop() throws InterruptedException {
      stopping = true;
      assertTrue(stopped.await(10, TimeUnit.SECONDS), "I/Os did not drain");
    }

    private final class Slot implements io.caspian.bdev.IoCompletion {
      final int index;
      final ByteBuffer buf = pattern(4096, 100);
      long count;

      Slot(int index) {
        this.index = index;
      }

      void next() {
        long at = (index * 64L + (count & 63)) * 4096;
        if ((count++ & 1) == 0) {
          dev.write(at, buf, 0, 4096, this);
        } else {
          dev.read(at, buf, 0, 4096, this);
        }
      }

      @Override
      public void ioDone(BdevException err) {
        if (err != null) {
          failure.compareAndSet(null, err);
        }
        ops.incrementAndGet();
        if (stopping || err != null) {
          stopped.countDown();
        } else {
          next();
        }
      }
    }
  }

  private static long allocated(long[] ids) {
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (long v : mx.getThreadAllocatedBytes(ids)) {
      sum += Math.max(0, v);
    }
    return sum;
  }

  @Test
  void hostNotOnTheAllowedListIsRefusedAtConnect() {
    String other = "nqn.2014-08.org.nvmexpress:uuid:99999999-0000-0000-0000-000000000000";
    BdevException e = assertThrows(BdevException.class, () -> NvmfDevice.open(
        "nvmf://127.0.0.1:" + target.port() + "/" + nqn + "?hostnqn=" + other));
    assertEquals(BdevException.Kind.CANT_OPEN, e.kind());
    assertTrue(e.getMessage().contains("not allowed"), e.getMessage());
  }

  @Test
  void unknownSubsystemIsRefused() {
    BdevException e = assertThrows(BdevException.class, () -> NvmfDevice.open(
        "nvmf://127.0.0.1:" + target.port() + "/nqn.2019-05.io.caspian:nope?hostnqn=" + HOST));
    assertEquals(BdevException.Kind.CANT_OPEN, e.kind());
  }

  @Test
  void reconnectsAfterTheTargetDropsTheConnection() throws Exception {
    try (NvmfDevice d = NvmfDevice.open(uri("&io_queues=2&queue_depth=8&io_timeout_ms=10000"))) {
      ByteBuffer a = pattern(8192, 1);
      SyncIo.write(d, 0, a, 0, 8192);
      assertEquals(1, d.connects());
      assertEquals(1, target.disconnectHosts(nqn));
      ByteBuffer b = pattern(8192, 2);
      SyncIo.write(d, 8192, b, 0, 8192);
      ByteBuffer back = DirectMemory.allocate(16384);
      SyncIo.read(d, 0, back, 0, 16384);
      assertEquals(crc(a, 8192), crc(back, 8192));
      ByteBuffer second = back.duplicate().position(8192).slice();
      assertEquals(crc(b, 8192), crc(second, 8192));
      assertTrue(d.connects() >= 2, "no reconnect happened: " + d.connects());
    }
  }

  /** A read in flight when the connection drops is resent after the reconnect and succeeds. */
  @Test
  void inFlightIoIsResentAfterReconnect() throws Exception {
    StallingDevice stalling = new StallingDevice(backing);
    String slowNqn = Nvme.nqnFor(UUID.randomUUID());
    target.addSubsystem(slowNqn, stalling, Set.of());
    try (NvmfDevice d = NvmfDevice.open("nvmf://127.0.0.1:" + target.port() + "/" + slowNqn
        + "?io_queues=1&queue_depth=4&io_timeout_ms=5000")) {
      ByteBuffer data = pattern(8192, 5);
      SyncIo.write(d, 65536, data, 0, 8192);
      stalling.stall();
      ByteBuffer back = DirectMemory.allocate(8192);
      java.util.concurrent.CompletableFuture<BdevException> read =
          new java.util.concurrent.CompletableFuture<>();
      d.read(65536, back, 0, 8192, read::complete);
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (stalling.held() == 0 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      assertEquals(1, stalling.held(), "the read never reached the target");
      assertEquals(1, target.disconnectHosts(slowNqn));
      while (d.connects() < 2 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      while (stalling.held() < 2 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      assertEquals(2, stalling.held(), "the read was not resent on the new connection");
      stalling.release();
      assertNull(read.get(5, TimeUnit.SECONDS));
      assertEquals(crc(data, 8192), crc(back, 8192));
    }
  }

  /**
   * A nexus sends a child more I/O at once than the child's queue depth (a kernel host sends
   * hundreds): the excess waits its turn rather than failing, the wire never holds more than the
   * depth, and only past {@link HostQueue#MAX_REQUESTS} is an I/O refused.
   */
  @Test
  void ioBeyondTheQueueDepthWaitsItsTurn() throws Exception {
    StallingDevice stalling = new StallingDevice(backing);
    String busyNqn = Nvme.nqnFor(UUID.randomUUID());
    target.addSubsystem(busyNqn, stalling, Set.of());
    int n = HostQueue.MAX_REQUESTS;
    try (NvmfDevice d = NvmfDevice.open("nvmf://127.0.0.1:" + target.port() + "/" + busyNqn
        + "?io_queues=1&queue_depth=4&io_timeout_ms=20000")) {
      ByteBuffer data = pattern(n * 4096, 11);
      SyncIo.write(d, 0, data, 0, n * 4096);
      stalling.stall();
      ByteBuffer back = DirectMemory.allocate(n * 4096);
      CountDownLatch left = new CountDownLatch(n);
      AtomicReference<BdevException> err = new AtomicReference<>();
      for (int i = 0; i < n; i++) {
        d.read((long) i * 4096, back, i * 4096, 4096, e -> {
          if (e != null) {
            err.compareAndSet(null, e);
          }
          left.countDown();
        });
      }
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (stalling.held() < 4 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      Thread.sleep(200);
      assertEquals(4, stalling.held(), "commands on the wire beyond the queue depth");
      assertEquals(n, left.getCount(), "an I/O completed while the target held every command");
      ByteBuffer one = DirectMemory.allocate(4096);
      BdevException full = assertThrows(BdevException.class, () -> SyncIo.read(d, 0, one, 0, 4096));
      assertEquals(BdevException.Kind.QUEUE_FULL, full.kind());
      stalling.release();
      assertTrue(left.await(20, TimeUnit.SECONDS), left.getCount() + " reads never completed");
      assertNull(err.get());
      assertEquals(crc(data, n * 4096), crc(back, n * 4096));
    }
  }

  @Test
  void stuckIoTimesOutAndTheDeviceRecovers() throws Exception {
    StallingDevice stalling = new StallingDevice(backing);
    String stuckNqn = Nvme.nqnFor(UUID.randomUUID());
    target.addSubsystem(stuckNqn, stalling, Set.of());
    try (NvmfDevice d = NvmfDevice.open("nvmf://127.0.0.1:" + target.port() + "/" + stuckNqn
        + "?io_queues=1&queue_depth=4&io_timeout_ms=300")) {
      stalling.stall();
      ByteBuffer buf = DirectMemory.allocate(4096);
      long t0 = System.nanoTime();
      BdevException e = assertThrows(BdevException.class, () -> SyncIo.read(d, 0, buf, 0, 4096));
      assertEquals(BdevException.Kind.TIMED_OUT, e.kind());
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
      stalling.release();
      SyncIo.write(d, 0, pattern(4096, 3), 0, 4096);
      SyncIo.read(d, 0, buf, 0, 4096);
      assertEquals(crc(pattern(4096, 3), 4096), crc(buf, 4096));
    }
  }

  /**
   * A subsystem that stops admitting this host (its replica shared to a newer nexus's node) closes
   * the connection, and the reconnect's refusal reads as a reservation conflict, positive evidence
   * of being superseded, so that a nexus stops instead of going on without the child.
   */
  @Test
  void aHostTakenOffTheListFailsItsWritesAsFenced() throws Exception {
    try (NvmfDevice d = NvmfDevice.open(uri("&io_queues=1&queue_depth=8&io_timeout_ms=30000"))) {
      ByteBuffer data = pattern(4096, 5);
      SyncIo.write(d, 0, data, 0, 4096);
      target.allowHosts(nqn, Set.of("nqn.2014-08.org.nvmexpress:uuid:99999999-2222-3333-4444-555555555555"));
      long t0 = System.nanoTime();
      BdevException e = null;
      while (e == null && System.nanoTime() - t0 < 20_000_000_000L) {
        try {
          SyncIo.write(d, 4096, data, 0, 4096);
          Thread.sleep(50);
        } catch (BdevException x) {
          e = x;
        }
      }
      assertNotNull(e, "writes still succeed after the host was taken off the list");
      // The first failure may be the dropped connection itself; the refusal follows at once.
      while (e.kind() != BdevException.Kind.RESERVATION_CONFLICT
          && System.nanoTime() - t0 < 20_000_000_000L) {
        try {
          SyncIo.write(d, 4096, data, 0, 4096);
          fail("a write succeeded after the host was taken off the list");
        } catch (BdevException x) {
          e = x;
          Thread.sleep(50);
        }
      }
      assertEquals(BdevException.Kind.RESERVATION_CONFLICT, e.kind(), e.getMessage());
    }
  }
}
