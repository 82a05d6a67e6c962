package io.caspian.bench;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.nexus.Nexus;
import io.caspian.nexus.NexusOptions;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * {@code bench/nexus}: what mirroring costs. 4 KiB random I/O at queue depth 32 on a nexus with
 * one child against that child alone, and on a nexus with three children against the slowest of
 * them alone, on malloc and on files; then the rebuild of a 1 GiB file child against a plain copy
 * between the same two files, and front-end random writes while that rebuild runs against the
 * same writes without it. The script {@code bench/nexus} defines every ratio.
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
    double seconds = 10;
    Path dir = Path.of(System.getenv().getOrDefault("TMPDIR", "/var/tmp"));
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        case "--dir" -> dir = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("usage: nexus [--seconds S] [--dir DIR]");
      }
    }
    Path work = Files.createTempDirectory(dir, "caspian-bench-nexus");
    try {
      new NexusBench(seconds, work).run();
    } finally {
      try (var files = Files.list(work)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(work);
    }
  }

  private void run() throws Exception {
    System.out.printf(Locale.ROOT, "bench/nexus: 4 KiB random I/O, QD %d, %.0f s per run, files in %s%n",
        QD, seconds, dir);

    Mirrors malloc = mirrors("malloc", i -> "malloc:///nexus-bench-" + i + "?size_mb=1024&blk_size=4096");
    System.gc(); // malloc memory is freed by a cleaner once its device is unreachable

    Path[] files = new Path[3];
    for (int i = 0; i < files.length; i++) {
      files[i] = dir.resolve("child" + i + ".img");
      prefill(files[i], GIB, i + 1);
    }
    Mirrors file = mirrors("file", i -> "file://" + files[i] + "?blk_size=4096");
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
            + "io_during_rebuild_over_idle=%.3f nexus3_write_over_fanout=%.3f alloc_bytes_per_io=%.2f%n",
        nexus1OverRaw, nexus3OverSlowest, rebuild.overCopy(), rebuild.ioOverIdle(), nexus3OverFanOut,
        worstNexusAllocPerIo);
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
   * {@code held:///cN}), alternating child and nexus runs so that drift on a noisy machine hits
   * both sides alike.
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
    double rawWrite = once(backend + " raw child", raw, LoadGenerator.Pattern.RANDWRITE, false);
    double nexus1Write = once(backend + " nexus, 1 child", one, LoadGenerator.Pattern.RANDWRITE, true);
    double rawRead = once(backend + " raw child", raw, LoadGenerator.Pattern.RANDREAD, false);
    double nexus1Read = once(backend + " nexus, 1 child", one, LoadGenerator.Pattern.RANDREAD, true);
    System.out.printf(Locale.ROOT, "%s nexus1/raw: read %.3f write %.3f%n", backend,
        nexus1Read / rawRead, nexus1Write / rawWrite);
    one.close();
    held.clear();
    raw = null;
    System.gc();

    List<String> uris = new ArrayList<>();
    double slowest = Double.MAX_VALUE;
    BlockDevice[] children = new BlockDevice[3];
    for (int i = 0; i < children.length; i++) {
      children[i] = opener.open(uriOf.apply(i));
      held.put("c" + i, children[i]);
      uris.add("held:///c" + i);
    }
    Nexus three = Nexus.create(UUID.randomUUID().toString(), GIB, uris, heldOpener,
        NexusOptions.defaults());
    for (int i = 0; i < children.length; i++) {
      slowest = Math.min(slowest,
          once(backend + " child " + i + " alone", children[i], LoadGenerator.Pattern.RANDWRITE, false));
    }
    double fanOut = once(backend + " plain 3-way fan-out", new FanOut(children, QD),
        LoadGenerator.Pattern.RANDWRITE, false);
    double nexus3Write = once(backend + " nexus, 3 children", three, LoadGenerator.Pattern.RANDWRITE, true);
    System.out.printf(Locale.ROOT, "%s nexus3 write / slowest child alone: %.3f, / plain fan-out: %.3f%n",
        backend, nexus3Write / slowest, nexus3Write / fanOut);
    three.close();
    return new Mirrors(rawRead, rawWrite, nexus1Read, nexus1Write, slowest, fanOut, nexus3Write);
  }

  private record Rebuild(double copyRate, double rebuildRate, double idleIops, double duringIops) {
    double overCopy() {
      return rebuildRate / copyRate;
    }

    double ioOverIdle() {
      return duringIops / idleIops;
    }
  }

  /**
   * Copies {@code src} onto {@code dst} plainly, then rebuilds {@code dst} as the new child of a
   * nexus over {@code src}; then front-end random writes on that two-child nexus, idle and while
   * {@code dst} is rebuilt again and again for the length of the run.
   */
  private Rebuild rebuild(String src, String dst) throws Exception {
    double copyRate;
    try (BlockDevice s = opener.open(src); BlockDevice d = opener.open(dst)) {
      copyRate = new SequentialCopy(s, d, GIB, SEGMENT, COPY_TASKS).run();
    }
    System.out.printf(Locale.ROOT, "%-34s %9.1f MB/s  (%d KiB segments, %d in flight, then a flush)%n",
        "file plain copy, 1 GiB", copyRate / 1e6, SEGMENT >> 10, COPY_TASKS);

    Nexus nexus = Nexus.create(UUID.randomUUID().toString(), GIB, List.of(src), opener,
        NexusOptions.defaults());
    try {
      long t0 = System.nanoTime();
      RebuildRecord rec = nexus.addChild(dst).get(REBUILD_TIMEOUT_S, TimeUnit.SECONDS);
      double rebuildRate = GIB / ((System.nanoTime() - t0) / 1e9);
      if (rec.state() != RebuildState.COMPLETED) {
        throw new IllegalStateException("rebuild of " + dst + " ended " + rec.state() + ": " + rec.cause());
      }
      System.out.printf(Locale.ROOT, "%-34s %9.1f MB/s  (from addChild to completion; the job's own "
          + "figure %.1f MB/s)%n", "file rebuild, 1 GiB", rebuildRate / 1e6, rec.stats().bytesPerSecond() / 1e6);
      System.out.printf(Locale.ROOT, "rebuild/copy: %.3f%n", rebuildRate / copyRate);

      double idle = once("file nexus, 2 children, idle", nexus, LoadGenerator.Pattern.RANDWRITE, true);
      nexus.removeChild(dst);
      RebuildLoop loop = new RebuildLoop(nexus, dst);
      loop.thread.start();
      if (!loop.started.await(REBUILD_TIMEOUT_S, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the rebuild of " + dst + " did not start");
      }
      double during = once("file nexus, 2 children, rebuilding", nexus, LoadGenerator.Pattern.RANDWRITE,
          false);
      String progress = loop.progress();
      loop.stop();
      System.out.printf(Locale.ROOT, "rebuild under that load: %d finished %s, the last one %s; "
          + "io during rebuild / idle: %.3f%n", loop.rates.size(), loop.ratesText(), progress, during / idle);
      return new Rebuild(copyRate, rebuildRate, idle, during);
    } finally {
      nexus.close();
    }
  }

  /**
   * Keeps a rebuild running: re-adds the child each time its rebuild completes, so the front-end
   * run sees a rebuild for its whole length, whatever the disk's speed.
   */
  private static final class RebuildLoop {
    final CountDownLatch started = new CountDownLatch(1);
    final List<Double> rates = new ArrayList<>();
    final Thread thread;
    private final Nexus nexus;
    private final String child;
    private volatile boolean stopping;
    private volatile Exception failure;

    RebuildLoop(Nexus nexus, String child) {
      this.nexus = nexus;
      this.child = child;
      this.thread = new Thread(this::loop, "bench-rebuild-loop");
      this.thread.setDaemon(true);
    }

    private void loop() {
      try {
        while (!stopping) {
          var completion = nexus.addChild(child);
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
        return String.format(Locale.ROOT, "%d%% done at %.1f MB/s", s.percent(), s.bytesPerSecond() / 1e6);
      } catch (BdevException e) {
        return "had just finished";
      }
    }
  }

  private double once(String what, BlockDevice dev, LoadGenerator.Pattern pattern, boolean nexusAlloc)
      throws InterruptedException {
    LoadGenerator.Result r = new LoadGenerator(dev, pattern, BS, QD, dev.size()).run(seconds);
    if (nexusAlloc) {
      worstNexusAllocPerIo = Math.max(worstNexusAllocPerIo, r.allocatedBytesPerIo());
    }
    System.out.printf(Locale.ROOT, "%-34s %-9s %9.0f IOPS  p50 %6.1f us  p99 %7.1f us  errors %d  alloc %.2f B/io%n",
        what, pattern.name().toLowerCase(Locale.ROOT), r.iops(), r.latency().quantile(0.5) / 1e3,
        r.latency().quantile(0.99) / 1e3, r.errors(), r.allocatedBytesPerIo());
    return r.iops();
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
