package io.caspian.bench;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.SyncIo;
import io.caspian.nbd.NbdServer;
import io.caspian.nvmf.host.NvmfDevice;
import io.caspian.nvmf.target.NvmfTarget;
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
import java.util.concurrent.TimeUnit;

/**
 * {@code bench/export}: our NBD export against nbdkit on the same backend (fio's nbd engine drives
 * both), our NVMe/TCP initiator and target against our NBD path on the same device, and 4 KiB QD1
 * read latency through NVMe/TCP.
 */
public final class ExportBench {

  private static final String HOST = "127.0.0.1";
  private static final int QD = 32;
  private static final long GIB = 1L << 30;

  private final double seconds;
  private final Path dir;
  private final DeviceOpener opener = DeviceOpener.standard();
  private final List<Process> children = new ArrayList<>();

  private ExportBench(double seconds, Path dir) {
    this.seconds = seconds;
    this.dir = dir;
  }

  public static void main(String[] args) throws Exception {
    TimedBench.main("export", args, (seconds, work) -> {
      ExportBench bench = new ExportBench(seconds, work);
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
    System.out.printf(Locale.ROOT, "bench/export: 4 KiB random I/O, QD %d, %.0f s per figure (warm-up, then A B B A)%n",
        QD, seconds);
    NbdServer nbd = NbdServer.start(HOST, 0);

    BlockDevice malloc = opener.open("malloc:///export?size_mb=1024&blk_size=4096");
    nbd.export("malloc", malloc, false);
    Subject ourMalloc = fioNbd("caspian nbd, malloc", nbd.port(), "malloc");
    Subject kitMemory = fioNbd("nbdkit memory 1G", startNbdkit("memory", "1G"), "");
    double mallocRead = Ratio.abba(ourMalloc, kitMemory, "randread", seconds);
    double mallocWrite = Ratio.abba(ourMalloc, kitMemory, "randwrite", seconds);

    Path file = dir.resolve("export.img");
    BlockDevice fileDev = opener.open("file://" + file + "?blk_size=4096&size_mb=" + (GIB >> 20));
    fill(fileDev);
    nbd.export("file", fileDev, false);
    Subject ourFile = fioNbd("caspian nbd, file (O_DIRECT)", nbd.port(), "file");
    // cache=none keeps nbdkit's writes out of the page cache, as O_DIRECT keeps ours: with the default,
    // its writes land in RAM and their writeback then runs during our turns of the comparison.
    Subject kitFile = fioNbd("nbdkit file cache=none", startNbdkit("file", file.toString(), "cache=none"), "");
    double fileRead = Ratio.abba(ourFile, kitFile, "randread", seconds);
    double fileWrite = Ratio.abba(ourFile, kitFile, "randwrite", seconds);

    NvmfTarget target = NvmfTarget.bind(HOST, 0);
    String nqn = "nqn.2019-05.io.caspian:bench-malloc";
    target.addSubsystem(nqn, malloc, Set.of());
    NvmfDevice initiator = NvmfDevice.open("nvmf://" + HOST + ":" + target.port() + "/" + nqn
        + "?io_queues=2&queue_depth=128");
    Subject ourNvmf = loadOn("caspian nvmf initiator -> target, malloc", initiator, QD);
    double nvmfRead = Ratio.abba(ourNvmf, ourMalloc, "randread", seconds);
    double nvmfWrite = Ratio.abba(ourNvmf, ourMalloc, "randwrite", seconds);

    LoadGenerator.Result qd1 = new LoadGenerator(initiator, LoadGenerator.Pattern.RANDREAD, 4096, 1,
        initiator.size()).run(seconds);
    double qd1NbdIops = Fio.run("randread", 1, seconds, "--ioengine=nbd",
        "--uri=nbd://" + HOST + ":" + nbd.port() + "/malloc");
    System.out.printf(Locale.ROOT, "QD1 4 KiB read: nvmf p50 %.1f us p99 %.1f us (%.0f IOPS); nbd via fio %.1f us"
            + " mean (%.0f IOPS)%n", qd1.latency().quantile(0.5) / 1e3, qd1.latency().quantile(0.99) / 1e3,
        qd1.iops(), 1e6 / qd1NbdIops, qd1NbdIops);

    initiator.close();
    target.close();
    nbd.close();
    fileDev.close();
    double nbdOverNbdkit = Math.min(Math.min(mallocRead, mallocWrite), Math.min(fileRead, fileWrite));
    System.out.printf(Locale.ROOT,
        "RESULT nbd_over_nbdkit=%.3f nvmf_over_nbd=%.3f qd1_read_us=%.1f nbd_malloc_over_nbdkit=%.3f"
            + " nbd_file_over_nbdkit=%.3f%n",
        nbdOverNbdkit, Math.min(nvmfRead, nvmfWrite), qd1.latency().quantile(0.5) / 1e3,
        Math.min(mallocRead, mallocWrite), Math.min(fileRead, fileWrite));
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
