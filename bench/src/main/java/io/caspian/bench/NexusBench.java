package io.caspian.bench;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.ForwardingDevice;
import io.caspian.nexus.IntentLogOptions;
import io.caspian.nexus.Nexus;
import io.caspian.nexus.NexusOptions;
import io.caspian.pool.Pool;
import io.caspian.pool.Replica;
import io.caspian.rebuild.RebuildOptions;
import io.caspian.rebuild.RebuildRecord;
import io.caspian.rebuild.RebuildState;
import io.caspian.rebuild.RebuildStats;
import io.caspian.rebuild.SegmentMap;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * {@code bench/nexus}: what mirroring costs. 4 KiB random I/O at queue depth 32 on a nexus with
 * one child against that child alone, and on a nexus with three children against the slowest of
 * them alone and against a plain fan-out to the three, on malloc and on files; then the rebuild of a 1 GiB file child against a plain copy
 * between the same two files, and front-end random writes while that rebuild runs against the
 * same writes without it; and the metrics' per-I/O counting, on against off, on a nexus over a
 * replica of a malloc pool. The script {@code bench/nexus} defines every ratio.
 */
public final class NexusBench {

  private static final int BS = 4096;
  private static final int QD = 32;
  private static final long GIB = 1L << 30;
  /** The plain copy moves data exactly as a rebuild does: these segments, this many at once. */
  private static final int SEGMENT = SegmentMap.DEFAULT_SEGMENT_SIZE;
  private static final int COPY_TASKS = RebuildOptions.DEFAULT.maxTasks();
  private static final long REBUILD_TIMEOUT_S = 300;

  private final double seconds;
  private final Path dir;
  private final DeviceOpener opener = DeviceOpener.standard();
  private double worstNexusAllocPerIo;

  private NexusBench(double seconds, Path dir) {
    this.seconds = seconds;
    this.dir = dir;
  }

  public static void main(String[] args) throws Exception {
    TimedBench.main("nexus", args, (seconds, work) -> new NexusBench(seconds, work).run());
  }

  private void run() throws Exception {
    System.out.printf(Locale.ROOT, "bench/nexus: 4 KiB random I/O, QD %d, %.1f s per side in %d slice(s), "
        + "files in %s%n", QD, seconds, slices(), dir);

    Mirrors malloc = mirrors("malloc", i -> "malloc:///nexus-bench-" + i + "?size_mb=1024&blk_size=4096");
    System.gc(); // malloc memory is freed by a cleaner once its device is unreachable
    Metrics metrics = metrics();
    System.gc();

    Path[] files = new Path[3];
    for (int i = 0; i < files.length; i++) {
      files[i] = dir.resolve("child" + i + ".img");
      prefill(files[i], GIB, i + 1);
    }
    Mirrors file = mirrors("file", i -> "file://" + files[i] + "?blk_size=4096");
    double wilOnOverOff = Math.min(
        intentLog("malloc", i -> "malloc:///nexus-bench-wil-" + i + "?size_mb=1024&blk_size=4096"),
        intentLog("file", i -> "file://" + files[i] + "?blk_size=4096"));
    System.gc();
    Rebuild rebuild = rebuild("file://" + files[0] + "?blk_size=4096", "file://" + files[1] + "?blk_size=4096");

    double nexus1OverRaw = Math.min(malloc.nexus1OverRaw(), file.nexus1OverRaw());
    double nexus3OverSlowest = Math.min(malloc.nexus3OverSlowest(), file.nexus3OverSlowest());
    System.out.printf(Locale.ROOT, "nexus1_over_raw: malloc read %.3f write %.3f, file read %.3f write %.3f; "
        + "the worst is %.3f%n", malloc.nexus1Read / malloc.rawRead, malloc.nexus1Write / malloc.rawWrite,
        file.nexus1Read / file.rawRead, file.nexus1Write / file.rawWrite, nexus1OverRaw);
    double nexus3OverFanOut = Math.min(malloc.nexus3OverFanOut(), file.nexus3OverFanOut());
    System.out.printf(Locale.ROOT, "nexus3_write_over_slowest: malloc %.3f, file %.3f; the worse is %.3f%n",
        malloc.nexus3OverSlowest(), file.nexus3OverSlowest(), nexus3OverSlowest);
    System.out.printf(Locale.ROOT, "nexus3_write_over_fanout: malloc %.3f, file %.3f; the worse is %.3f%n",
        malloc.nexus3OverFanOut(), file.nexus3OverFanOut(), nexus3OverFanOut);
    System.out.printf(Locale.ROOT,
        "RESULT nexus1_over_raw=%.3f nexus3_write_over_slowest=%.3f rebuild_over_copy=%.3f "
            + "io_during_rebuild_over_idle=%.3f io_during_full_speed_rebuild_over_idle=%.3f "
            + "nexus3_write_over_fanout=%.3f alloc_bytes_per_io=%.2f "
            + "metrics_on_over_off=%.3f metrics_on_over_off_per_cpu=%.3f metrics_on_alloc_bytes_per_io=%.2f "
            + "wil_on_over_off=%.3f%n",
        nexus1OverRaw, nexus3OverSlowest, rebuild.overCopy(), rebuild.yielding(), rebuild.fullSpeed(),
        nexus3OverFanOut,
        worstNexusAllocPerIo, metrics.onOverOff(), metrics.cpuOnOverOff(), metrics.onAllocPerIo(),
        wilOnOverOff);
  }

  /** IOPS of one backend; reads and writes of the one-child pair, writes of the three. */
  private record Mirrors(double rawRead, double rawWrite, double nexus1Read, double nexus1Write,
      double slowestChildWrite, double fanOutWrite, double nexus3Write) {
    double nexus1OverRaw() {
      return Math.min(nexus1Read / rawRead, nexus1Write / rawWrite);
    }

    double nexus3OverSlowest() {
      return nexus3Write / slowestChildWrite;
    }

    double nexus3OverFanOut() {
      return nexus3Write / fanOutWrite;
    }
  }

  /**
   * Measures the children through the very device objects the nexus uses (handed to it under
   * {@code held:///cN}).
   */
  private Mirrors mirrors(String backend, IntFunction<String> uriOf) throws Exception {
    Map<String, BlockDevice> held = new HashMap<>();
    DeviceOpener heldOpener = opener.with("held", u -> {
      BlockDevice d = held.get(u.name());
      if (d == null) {
        throw BdevException.of(BdevException.Kind.CANT_OPEN, u.text(), "no such held device");
      }
      return d;
    });

    BlockDevice raw = opener.open(uriOf.apply(0));
    held.put("c0", raw);
    Nexus one = Nexus.create(UUID.randomUUID().toString(), GIB, List.of("held:///c0"), heldOpener,
        NexusOptions.defaults());
    // Compiles the device's and the nexus's I/O paths before the first figure counts.
    double warmUp = Math.min(1, seconds);
    new LoadGenerator(one, LoadGenerator.Pattern.RANDWRITE, BS, QD, GIB).run(warmUp);
    new LoadGenerator(one, LoadGenerator.Pattern.RANDREAD, BS, QD, GIB).run(warmUp);
    double[] write = interleaved(LoadGenerator.Pattern.RANDWRITE,
        new Run(backend + " raw child", raw, false), new Run(backend + " nexus, 1 child", one, true));
    double[] read = interleaved(LoadGenerator.Pattern.RANDREAD,
        new Run(backend + " raw child", raw, false), new Run(backend + " nexus, 1 child", one, true));
    System.out.printf(Locale.ROOT, "%s nexus1/raw: read %.3f write %.3f%n", backend,
        read[1] / read[0], write[1] / write[0]);
    one.close();
    held.clear();
    raw = null;
    System.gc();

    List<String> uris = new ArrayList<>();
    BlockDevice[] children = new BlockDevice[3];
    Run[] runs = new Run[children.length + 2];
    for (int i = 0; i < children.length; i++) {
      children[i] = opener.open(uriOf.apply(i));
      held.put("c" + i, children[i]);
      uris.add("held:///c" + i);
      runs[i] = new Run(backend + " child " + i + " alone", children[i], false);
    }
    Nexus three = Nexus.create(UUID.randomUUID().toString(), GIB, uris, heldOpener,
        NexusOptions.defaults());
    runs[3] = new Run(backend + " plain 3-way fan-out", new FanOut(children, QD), false);
    runs[4] = new Run(backend + " nexus, 3 children", three, true);
    double[] w3 = interleaved(LoadGenerator.Pattern.RANDWRITE, runs);
    double slowest = Math.min(w3[0], Math.min(w3[1], w3[2]));
    System.out.printf(Locale.ROOT, "%s nexus3 write / slowest child alone: %.3f, / plain fan-out: %.3f%n",
        backend, w3[4] / slowest, w3[4] / w3[3]);
    three.close();
    return new Mirrors(read[0], write[0], read[1], write[1], slowest, w3[3], w3[4]);
  }

  /**
   * What the write-intent log costs: randwrite IOPS of a 3-child nexus with its log (in the work
   * directory, so its fdatasyncs hit the file children's disk) over the same children without, in
   * turn. The warm-up dirties every region once (the group commits); the figure is the steady
   * state of random writes over the whole volume, where every write finds its region durably
   * dirty. Malloc children show the CPU the fast path adds; file children the disk's share.
   */
  private double intentLog(String backend, IntFunction<String> uriOf) throws Exception {
    // Both sides write to the very same three devices; the nexuses' closes leave them open.
    BlockDevice[] children = new BlockDevice[3];
    List<String> uris = new ArrayList<>();
    for (int i = 0; i < children.length; i++) {
      children[i] = opener.open(uriOf.apply(i));
      uris.add("held:///c" + i);
    }
    DeviceOpener heldOpener = opener.with("held", u -> new ForwardingDevice(
        children[u.name().charAt(1) - '0']) {
      @Override
      public void close() {
      }
    });
    Files.deleteIfExists(dir.resolve("bench.wil"));
    Nexus[] sides = {
        Nexus.create(UUID.randomUUID().toString(), GIB, uris, heldOpener,
            NexusOptions.defaults().withIntentLog(IntentLogOptions.at(dir.resolve("bench.wil")))),
        Nexus.create(UUID.randomUUID().toString(), GIB, uris, heldOpener, NexusOptions.defaults())};
    try {
      double warmUp = Math.min(1, seconds);
      for (Nexus n : sides) {
        new LoadGenerator(n, LoadGenerator.Pattern.RANDWRITE, BS, QD, GIB).run(warmUp);
      }
      double[] w = interleaved(LoadGenerator.Pattern.RANDWRITE,
          new Run(backend + " nexus3, write-intent log on", sides[0], true),
          new Run(backend + " nexus3, write-intent log off", sides[1], true));
      System.out.printf(Locale.ROOT, "%s wil_on_over_off: %.3f (%d of %d regions dirty at the end)%n",
          backend, w[0] / w[1], sides[0].intentDirtyRegions(), GIB / sides[0].intentRegionSize());
      return w[0] / w[1];
    } finally {
      sides[0].destroy();
      sides[1].close();
      for (BlockDevice c : children) {
        c.close();
      }
    }
  }

  /**
   * IOPS with the per-I/O counting on and off, the same per CPU second of the thread that ran
   * them, and the heap bytes per I/O with it on.
   */
  private record Metrics(double readOn, double readOff, double writeOn, double writeOff,
      double cpuOnOverOff, double onAllocPerIo) {
    double onOverOff() {
      return Math.min(readOn / readOff, writeOn / writeOff);
    }
  }

  /**
   * What the metrics cost per I/O: a nexus over a thick replica of a malloc pool, both counting
   * (the volume_* and replica_* figures: two timings and six adds per I/O) in one slice and not in
   * the next. Malloc is the fastest path there is, so the counting weighs most here.
   */
  private Metrics metrics() throws Exception {
    BlockDevice disk = opener.open("malloc:///nexus-bench-metrics?size_mb=1100&blk_size=4096");
    Pool pool = Pool.create(disk, "bench-metrics", UUID.randomUUID(), Pool.DEFAULT_CLUSTER_SIZE, false);
    try {
      Replica replica = pool.createReplica(UUID.randomUUID(), "bench-metrics", GIB, false);
      DeviceOpener heldOpener = opener.with("held", u -> replica);
      try (Nexus nexus = Nexus.create(UUID.randomUUID().toString(), GIB, List.of("held:///r"), heldOpener,
          NexusOptions.defaults())) {
        Runnable on = () -> {
          nexus.countIo(true);
          pool.countIo(true);
        };
        Runnable off = () -> {
          nexus.countIo(false);
          pool.countIo(false);
        };
        double warmUp = Math.min(1, seconds);
        new LoadGenerator(nexus, LoadGenerator.Pattern.RANDWRITE, BS, QD, GIB).run(warmUp);
        new LoadGenerator(nexus, LoadGenerator.Pattern.RANDREAD, BS, QD, GIB).run(warmUp);
        Run writeOn = new Run("malloc replica nexus, metrics on", nexus, true, on);
        Run writeOff = new Run("malloc replica nexus, metrics off", nexus, true, off);
        double[] write = interleaved(LoadGenerator.Pattern.RANDWRITE, writeOn, writeOff);
        Run readOn = new Run("malloc replica nexus, metrics on", nexus, true, on);
        Run readOff = new Run("malloc replica nexus, metrics off", nexus, true, off);
        double[] read = interleaved(LoadGenerator.Pattern.RANDREAD, readOn, readOff);
        on.run();
        double alloc = (double) (writeOn.allocated + readOn.allocated) / (writeOn.ios + readOn.ios);
        // malloc completes inline: the submitting thread's CPU time is all of the I/O's
        double cpuOn = (double) (writeOn.cpu + readOn.cpu) / (writeOn.ios + readOn.ios);
        double cpuOff = (double) (writeOff.cpu + readOff.cpu) / (writeOff.ios + readOff.ios);
        System.out.printf(Locale.ROOT, "metrics on/off: read %.3f write %.3f; CPU per I/O %.0f / %.0f ns, "
            + "I/Os per CPU second on/off %.3f; %.2f B/io allocated with them on%n", read[0] / read[1],
            write[0] / write[1], cpuOn, cpuOff, cpuOff / cpuOn, alloc);
        return new Metrics(read[0], read[1], write[0], write[1], cpuOff / cpuOn, alloc);
      }
    } finally {
      pool.export();
    }
  }

  /** {@code yielding} and {@code fullSpeed}: front-end IOPS during a rebuild over the same idle, each way. */
  private record Rebuild(double copyRate, double rebuildRate, double yielding, double fullSpeed) {
    double overCopy() {
      return rebuildRate / copyRate;
    }
  }

  /**
   * Alternates a plain copy of {@code src} onto {@code dst} with a rebuild of {@code dst} as the
   * new child of a nexus over {@code src}; then front-end random writes on that two-child nexus
   * in slices, alternately with the rebuild paused and running (re-added whenever it completes).
   */
  private Rebuild rebuild(String src, String dst) throws Exception {
    int rounds = Math.min(3, slices());
    Nexus nexus = Nexus.create(UUID.randomUUID().toString(), GIB, List.of(src), opener,
        NexusOptions.defaults());
    try {
      // Unmeasured: whatever caches below O_DIRECT (the host's, on a VM) then favour neither side.
      try (BlockDevice s = opener.open(src); BlockDevice d = opener.open(dst)) {
        new SequentialCopy(s, d, GIB, SEGMENT, COPY_TASKS).run();
      }
      double copyNanos = 0;
      double rebuildNanos = 0;
      for (int r = 0; r < rounds; r++) {
        if (r > 0) {
          nexus.removeChild(dst);
        }
        try (BlockDevice s = opener.open(src); BlockDevice d = opener.open(dst)) {
          double rate = new SequentialCopy(s, d, GIB, SEGMENT, COPY_TASKS).run();
          copyNanos += GIB / rate * 1e9;
          System.out.printf(Locale.ROOT, "%-34s %9.1f MB/s  (%d KiB segments, %d in flight, then a flush)%n",
              "file plain copy, 1 GiB", rate / 1e6, SEGMENT >> 10, COPY_TASKS);
        }
        long t0 = System.nanoTime();
        RebuildRecord rec = nexus.addChild(dst).get(REBUILD_TIMEOUT_S, TimeUnit.SECONDS);
        long took = System.nanoTime() - t0;
        rebuildNanos += took;
        if (rec.state() != RebuildState.COMPLETED) {
          throw new IllegalStateException("rebuild of " + dst + " ended " + rec.state() + ": " + rec.cause());
        }
        System.out.printf(Locale.ROOT, "%-34s %9.1f MB/s  (from addChild to completion; the job's own "
            + "figure %.1f MB/s)%n", "file rebuild, 1 GiB", GIB / (took / 1e3), rec.stats().bytesPerSecond() / 1e6);
      }
      double copyRate = rounds * GIB / (copyNanos / 1e9);
      double rebuildRate = rounds * GIB / (rebuildNanos / 1e9);
      System.out.printf(Locale.ROOT, "rebuild/copy over %d rounds: %.1f / %.1f MB/s = %.3f%n", rounds,
          rebuildRate / 1e6, copyRate / 1e6, rebuildRate / copyRate);

      double yielding = underLoad(nexus, dst, "yielding to the workload", RebuildOptions.DEFAULT);
      double fullSpeed = underLoad(nexus, dst, "at full speed (rebuild-yield off)",
          new RebuildOptions(RebuildOptions.MAX_TASKS, 0, false));
      return new Rebuild(copyRate, rebuildRate, yielding, fullSpeed);
    } finally {
      nexus.close();
    }
  }

  /**
   * Front-end randwrite IOPS on the 2-child {@code nexus} while {@code dst} is rebuilt with {@code
   * options}, over the same with that rebuild paused; prints how fast the rebuild went meanwhile.
   */
  private double underLoad(Nexus nexus, String dst, String how, RebuildOptions options)
      throws Exception {
    nexus.removeChild(dst);
    nexus.setRebuildOptions(options);
    RebuildLoop loop = new RebuildLoop(nexus, dst);
    loop.pause();
    loop.thread.start();
    if (!loop.started.await(REBUILD_TIMEOUT_S, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the rebuild of " + dst + " did not start");
    }
    double[] w = interleaved(LoadGenerator.Pattern.RANDWRITE,
        new Run("file nexus, 2 children, idle", nexus, true, loop::pause),
        new Run("file nexus, 2 children, rebuilding", nexus, false, loop::resume));
    String progress = loop.progress();
    loop.stop();
    System.out.printf(Locale.ROOT, "rebuild %s under that load: %d finished %s, the last one %s; "
        + "io during rebuild / idle: %.3f%n", how, loop.rates.size(), loop.ratesText(), progress,
        w[1] / w[0]);
    return w[1] / w[0];
  }

  /**
   * Keeps a rebuild going: re-adds the child each time its rebuild completes, so that every
   * running slice sees one, whatever the disk's speed; paused, the job copies nothing while the
   * child still receives every write, exactly as an in-sync child does.
   */
  private static final class RebuildLoop {
    final CountDownLatch started = new CountDownLatch(1);
    final List<Double> rates = new ArrayList<>();
    final Thread thread;
    private final Nexus nexus;
    private final String child;
    private volatile boolean stopping;
    private volatile Exception failure;
    private boolean paused;

    RebuildLoop(Nexus nexus, String child) {
      this.nexus = nexus;
      this.child = child;
      this.thread = new Thread(this::loop, "bench-rebuild-loop");
      this.thread.setDaemon(true);
    }

    private void loop() {
      try {
        while (!stopping) {
          CompletableFuture<RebuildRecord> completion;
          synchronized (this) {
            completion = nexus.addChild(child);
            if (paused) {
              pauseQuietly();
            }
          }
          started.countDown();
          RebuildRecord rec = completion.get(REBUILD_TIMEOUT_S, TimeUnit.SECONDS);
          if (rec.state() == RebuildState.COMPLETED) {
            synchronized (rates) {
              rates.add(rec.stats().bytesPerSecond() / 1e6);
            }
          } else if (!stopping) {
            throw new IllegalStateException("rebuild of " + child + " ended " + rec.state() + ": "
                + rec.cause());
          }
          if (!stopping) {
            nexus.removeChild(child);
          }
        }
      } catch (Exception e) {
        failure = e;
        started.countDown();
      }
    }

    synchronized void pause() {
      paused = true;
      pauseQuietly();
    }

    synchronized void resume() {
      paused = false;
      try {
        nexus.resumeRebuild(child);
      } catch (BdevException e) {
        // Not started yet or between two jobs: the loop starts the next one running.
      }
    }

    private void pauseQuietly() {
      try {
        nexus.pauseRebuild(child);
      } catch (BdevException e) {
        // Not started yet, or just completed: the loop pauses the next job as it starts it.
      }
    }

    /** Ends the rebuild under way instead of waiting for it. */
    void stop() throws Exception {
      stopping = true;
      while (thread.isAlive()) {
        try {
          nexus.stopRebuild(child);
        } catch (BdevException e) {
          // Between two rebuilds: the loop sees the flag before it starts another.
        }
        thread.join(100);
      }
      if (failure != null) {
        throw failure;
      }
    }

    String ratesText() {
      synchronized (rates) {
        return rates.stream().map(r -> String.format(Locale.ROOT, "%.1f MB/s", r)).toList().toString();
      }
    }

    /** How far the rebuild under way got, and how fast. */
    String progress() {
      try {
        RebuildStats s = nexus.rebuildStats(child);
        return String.format(Locale.ROOT, "%d%% done at %.1f MB/s (paused time included)", s.percent(),
            s.bytesPerSecond() / 1e6);
      } catch (BdevException e) {
        return "had just finished";
      }
    }
  }

  /** One side of an interleaved comparison, with what to do before each of its slices. */
  private static final class Run {
    final String label;
    final BlockDevice dev;
    final boolean nexusAlloc;
    final Runnable beforeSlice;
    final Histogram latency = new Histogram();
    long ios;
    long errors;
    long allocated;
    long cpu;
    double elapsed;

    Run(String label, BlockDevice dev, boolean nexusAlloc) {
      this(label, dev, nexusAlloc, () -> {});
    }

    Run(String label, BlockDevice dev, boolean nexusAlloc, Runnable beforeSlice) {
      this.label = label;
      this.dev = dev;
      this.nexusAlloc = nexusAlloc;
      this.beforeSlice = beforeSlice;
    }
  }

  /** Slices of about 2 s: short enough that drift on a shared machine hits every side alike. */
  private int slices() {
    return Math.max(1, (int) Math.round(seconds / 2));
  }

  /**
   * Runs each side for {@link #seconds} in total, in slices taken in turn, and prints each side's
   * figures; returns their IOPS in order.
   */
  private double[] interleaved(LoadGenerator.Pattern pattern, Run... runs) throws InterruptedException {
    int n = slices();
    for (int s = 0; s < n; s++) {
      for (Run run : runs) {
        run.beforeSlice.run();
        LoadGenerator.Result r = new LoadGenerator(run.dev, pattern, BS, QD, GIB).run(seconds / n);
        run.ios += r.ios();
        run.errors += r.errors();
        run.allocated += r.allocatedBytes();
        run.cpu += r.submitCpuNanos();
        run.elapsed += r.seconds();
        run.latency.add(r.latency());
      }
    }
    double[] iops = new double[runs.length];
    for (int i = 0; i < runs.length; i++) {
      Run run = runs[i];
      iops[i] = run.ios / run.elapsed;
      double alloc = run.ios == 0 ? 0 : (double) run.allocated / run.ios;
      if (run.nexusAlloc) {
        worstNexusAllocPerIo = Math.max(worstNexusAllocPerIo, alloc);
      }
      System.out.printf(Locale.ROOT,
          "%-34s %-9s %9.0f IOPS  p50 %6.1f us  p99 %7.1f us  errors %d  alloc %.2f B/io%n",
          run.label, pattern.name().toLowerCase(Locale.ROOT), iops[i], run.latency.quantile(0.5) / 1e3,
          run.latency.quantile(0.99) / 1e3, run.errors, alloc);
    }
    return iops;
  }

  /** Writes every block once, so reads hit data and writes overwrite allocated blocks. */
  private static void prefill(Path file, long size, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      for (long off = 0; off < size; off += chunk.capacity()) {
        chunk.clear();
        while (chunk.hasRemaining()) {
          chunk.putLong(random.nextLong());
        }
        chunk.flip();
        while (chunk.hasRemaining()) {
          ch.write(chunk, off + chunk.position());
        }
      }
      ch.force(true);
    }
  }
}
