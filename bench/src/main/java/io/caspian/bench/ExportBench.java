package io.caspian.bench;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.SyncIo;
import io.caspian.nbd.NbdServer;
import io.caspian.nexus.Nexus;
import io.caspian.nexus.NexusOptions;
import io.caspian.nvmf.host.NvmfDevice;
import io.caspian.nvmf.target.NvmfTarget;
import io.caspian.pool.Pool;
import io.caspian.pool.Replica;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench/export}: our NBD export against nbdkit on the same backend (fio's nbd engine drives
 * both), our NVMe/TCP initiator and target against our NBD path on the same device, and 4 KiB QD1
 * read latency through NVMe/TCP; and the metrics' per-I/O counting, on against off, on a volume as
 * an io-engine serves it (a nexus over a replica of a malloc pool, exported over NBD) and on a
 * replica shared over NVMe/TCP.
 */
public final class ExportBench {

  private static final String HOST = "127.0.0.1";
  private static final int QD = 32;
  private static final long GIB = 1L << 30;

  private final double seconds;
  private final Ratio.Plan plan;
  private final Path dir;
  private final DeviceOpener opener = DeviceOpener.standard();
  private final List<Process> children = new ArrayList<>();

  private ExportBench(double seconds, Ratio.Plan plan, Path dir) {
    this.seconds = seconds;
    this.plan = plan;
    this.dir = dir;
  }

  public static void main(String[] args) throws Exception {
    TimedBench.sliced("export", args, (seconds, plan, work) -> {
      ExportBench bench = new ExportBench(seconds, plan, work);
      try {
        bench.run();
      } finally {
        bench.children.forEach(Process::destroyForcibly);
      }
    });
    // Netty's event loops and the initiator's reconnect timer are not daemons
    System.exit(0);
  }

  private void run() throws Exception {
    if (!Fio.available()) {
      throw new IOException("fio is not installed (apt-get install fio): it drives every NBD figure");
    }
    System.out.printf(Locale.ROOT, "bench/export: 4 KiB random I/O, QD %d; each ratio the median of %d slices of %s s"
        + " a side (warm-up, then A B and B A in turn); %.0f s per single-run figure%n", QD, plan.slices(),
        plan.sliceSeconds(), seconds);
    NbdServer nbd = NbdServer.start(HOST, 0);

    BlockDevice malloc = opener.open("malloc:///export?size_mb=1024&blk_size=4096");
    nbd.export("malloc", malloc, false);
    Subject ourMalloc = fioNbd("caspian nbd, malloc", nbd.port(), "malloc");
    Subject kitMemory = fioNbd("nbdkit memory 1G", startNbdkit("memory", "1G"), "");
    Ratio.Spread nbdMalloc = Ratio.worseOfReadWrite("nbd_malloc_over_nbdkit", ourMalloc, kitMemory, plan);

    Path file = dir.resolve("export.img");
    BlockDevice fileDev = opener.open("file://" + file + "?blk_size=4096&size_mb=" + (GIB >> 20));
    fill(fileDev);
    nbd.export("file", fileDev, false);
    Subject ourFile = fioNbd("caspian nbd, file (O_DIRECT)", nbd.port(), "file");
    // cache=none keeps nbdkit's writes out of the page cache, as O_DIRECT keeps ours: with the default,
    // its writes land in RAM and their writeback then runs during our turns of the comparison.
    Subject kitFile = fioNbd("nbdkit file cache=none", startNbdkit("file", file.toString(), "cache=none"), "");
    Ratio.Spread nbdFile = Ratio.worseOfReadWrite("nbd_file_over_nbdkit", ourFile, kitFile, plan);

    NvmfTarget target = NvmfTarget.bind(HOST, 0);
    String nqn = "nqn.2019-05.io.caspian:bench-malloc";
    target.addSubsystem(nqn, malloc, Set.of());
    NvmfDevice initiator = NvmfDevice.open("nvmf://" + HOST + ":" + target.port() + "/" + nqn
        + "?io_queues=2&queue_depth=128");
    Subject ourNvmf = loadOn("caspian nvmf initiator -> target, malloc", initiator, QD);
    Ratio.Spread nvmfOverNbd = Ratio.worseOfReadWrite("nvmf_over_nbd", ourNvmf, ourMalloc, plan);

    LoadGenerator.Result qd1 = new LoadGenerator(initiator, LoadGenerator.Pattern.RANDREAD, 4096, 1,
        initiator.size()).run(seconds);
    double qd1NbdIops = Fio.run("randread", 1, seconds, "--ioengine=nbd",
        "--uri=nbd://" + HOST + ":" + nbd.port() + "/malloc");
    System.out.printf(Locale.ROOT, "QD1 4 KiB read: nvmf p50 %.1f us p99 %.1f us (%.0f IOPS); nbd via fio %.1f us"
            + " mean (%.0f IOPS)%n", qd1.latency().quantile(0.5) / 1e3, qd1.latency().quantile(0.99) / 1e3,
        qd1.iops(), 1e6 / qd1NbdIops, qd1NbdIops);

    initiator.close();
    target.close();
    Metrics metrics = metrics(nbd);
    nbd.close();
    fileDev.close();
    Ratio.Spread nbdOverNbdkit = Ratio.Spread.worst(nbdMalloc, nbdFile);
    System.out.println(nbdOverNbdkit.line("nbd_over_nbdkit, worse of malloc/file and read/write"));
    System.out.println(nvmfOverNbd.line("nvmf_over_nbd, worse of read/write"));
    System.out.println(metrics.onOverOff().line("metrics_on_over_off, worst of nbd/nvmf and read/write"));
    System.out.printf(Locale.ROOT, "RESULT %s %s qd1_read_us=%.1f %s %s %s metrics_on_alloc_bytes_per_io=%.2f%n",
        nbdOverNbdkit.result("nbd_over_nbdkit"), nvmfOverNbd.result("nvmf_over_nbd"),
        qd1.latency().quantile(0.5) / 1e3, nbdMalloc.result("nbd_malloc_over_nbdkit"),
        nbdFile.result("nbd_file_over_nbdkit"), metrics.onOverOff().result("metrics_on_over_off"),
        metrics.onAllocPerIo());
  }

  /** The worst metrics-on over metrics-off IOPS ratio, and the most heap bytes per I/O with them on. */
  private record Metrics(Ratio.Spread onOverOff, double onAllocPerIo) {}

  /**
   * What the metrics cost per I/O where a volume or a replica is served: fio over NBD on a nexus
   * over a thick replica of a malloc pool (the volume_* and replica_* figures counted), and our
   * initiator over NVMe/TCP on that replica shared (replica_*); each sliced A/B with the counting on
   * (A) and off (B). The fio runs' I/O count is their IOPS times their length, fio's own figures. Malloc is the fastest backend, so the counting weighs
   * most here.
   */
  private Metrics metrics(NbdServer nbd) throws Exception {
    BlockDevice disk = opener.open("malloc:///export-metrics?size_mb=1100&blk_size=4096");
    Pool pool = Pool.create(disk, "bench-metrics", UUID.randomUUID(), Pool.DEFAULT_CLUSTER_SIZE, false);
    NvmfTarget target = NvmfTarget.bind(HOST, 0);
    try {
      Replica replica = pool.createReplica(UUID.randomUUID(), "bench-metrics", GIB, false);
      String nqn = "nqn.2019-05.io.caspian:bench-metrics";
      target.addSubsystem(nqn, replica, Set.of());
      NvmfDevice initiator = NvmfDevice.open("nvmf://" + HOST + ":" + target.port() + "/" + nqn
          + "?io_queues=2&queue_depth=128");
      Subject load = loadOn("caspian nvmf -> replica", initiator, QD);
      Subject nvmfOn = (rw, secs) -> {
        pool.countIo(true);
        return load.iops(rw, secs);
      };
      Subject nvmfOff = (rw, secs) -> {
        pool.countIo(false);
        return load.iops(rw, secs);
      };
      Ratio.Spread nvmf = Ratio.worseOfReadWrite("metrics_on_over_off nvmf replica", nvmfOn, nvmfOff, plan);
      pool.countIo(true);
      LoadGenerator.Result r = new LoadGenerator(initiator, LoadGenerator.Pattern.RANDWRITE, 4096, QD,
          initiator.size()).run(Math.min(2, seconds));
      initiator.close();
      target.removeSubsystem(nqn);

      // the nexus closes its child, the replica, when it closes: it goes second
      Nexus nexus = Nexus.create(UUID.randomUUID().toString(), GIB, List.of("held:///r"),
          opener.with("held", u -> replica), NexusOptions.defaults());
      nbd.export("volume", nexus, false);
      Subject fio = fioNbd("caspian nbd, replica nexus", nbd.port(), "volume");
      AllocationMeter meter = new AllocationMeter();
      // heap bytes the server's threads allocated during the metrics-on runs, and their I/Os
      double[] on = new double[2];
      Subject nbdOn = (rw, secs) -> {
        nexus.countIo(true);
        pool.countIo(true);
        meter.start();
        double iops = fio.iops(rw, secs);
        on[0] += meter.stop();
        on[1] += iops * secs;
        return iops;
      };
      Subject nbdOff = (rw, secs) -> {
        nexus.countIo(false);
        pool.countIo(false);
        return fio.iops(rw, secs);
      };
      Ratio.Spread nbdVolume = Ratio.worseOfReadWrite("metrics_on_over_off nbd volume", nbdOn, nbdOff, plan);
      double nbdAlloc = on[0] / on[1];
      nbd.unexport("volume");
      nexus.close();
      System.out.printf(Locale.ROOT, "metrics on/off, worse of read/write: nbd volume %.3f (%.2f B/io with them on);"
          + " nvmf replica %.3f (%.2f B/io)%n", nbdVolume.median(), nbdAlloc, nvmf.median(), r.allocatedBytesPerIo());
      return new Metrics(Ratio.Spread.worst(nbdVolume, nvmf), Math.max(nbdAlloc, r.allocatedBytesPerIo()));
    } finally {
      target.close();
      pool.export();
    }
  }

  private static Subject fioNbd(String name, int port, String export) {
    String uri = "--uri=nbd://" + HOST + ":" + port + (export.isEmpty() ? "" : "/" + export);
    return (rw, secs) -> {
      double iops = Fio.run(rw, QD, secs, "--ioengine=nbd", uri);
      System.out.printf(Locale.ROOT, "%-44s %-9s %9.0f IOPS%n", name, rw, iops);
      return iops;
    };
  }

  private static Subject loadOn(String name, BlockDevice dev, int qd) {
    return (rw, secs) -> {
      LoadGenerator.Result r = new LoadGenerator(dev, LoadGenerator.Pattern.of(rw), 4096, qd, dev.size())
          .run(secs);
      System.out.printf(Locale.ROOT, "%-44s %-9s %9.0f IOPS  p50 %6.1f us  errors %d  alloc %.1f B/io%n",
          name, rw, r.iops(), r.latency().quantile(0.5) / 1e3, r.errors(), r.allocatedBytesPerIo());
      return r.iops();
    };
  }

  /** Starts nbdkit on a free loopback port and waits until it accepts connections. */
  private int startNbdkit(String plugin, String... args) throws IOException, InterruptedException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(HOST))) {
      port = s.getLocalPort();
    }
    Process p;
    try {
      List<String> cmd = new ArrayList<>(List.of("nbdkit", "-f", "--exit-with-parent", "-i", HOST, "-p",
          String.valueOf(port), plugin));
      cmd.addAll(List.of(args));
      p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      throw new IOException("nbdkit is not installed (apt-get install nbdkit): it is this benchmark's baseline", e);
    }
    children.add(p);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(HOST, port), 500);
        return port;
      } catch (IOException notYet) {
        if (!p.isAlive()) {
          throw new IOException("nbdkit " + plugin + " exited with " + p.exitValue());
        }
        Thread.sleep(100);
      }
    }
    throw new IOException("nbdkit " + plugin + " did not listen on " + port + " within 20 s");
  }

  private static void fill(BlockDevice dev) throws Exception {
    ByteBuffer chunk = DirectMemory.allocate(1 << 20);
    SplittableRandom random = new SplittableRandom(3);
    for (long off = 0; off < dev.size(); off += chunk.capacity()) {
      for (int i = 0; i < chunk.capacity(); i += 8) {
        chunk.putLong(i, random.nextLong());
      }
      SyncIo.write(dev, off, chunk, 0, chunk.capacity());
    }
    SyncIo.flush(dev);
  }
}
