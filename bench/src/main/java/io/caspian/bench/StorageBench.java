package io.caspian.bench;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.SyncIo;
import io.caspian.pool.Pool;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * {@code bench/storage}: 4 KiB random read and write at queue depth 32 on raw devices, on thick and
 * thin replicas over them, and fio on the same file; the replica-over-raw and device-over-fio
 * ratios show what the pool layer and our native I/O path cost.
 */
public final class StorageBench {

  private static final int BS = 4096;
  private static final int QD = 32;
  private static final long GIB = 1L << 30;
  /** Pool disks carry their metadata too; this leaves room for a 1 GiB thick replica. */
  private static final long POOL_DISK = GIB + (64L << 20);

  private final double seconds;
  private final Path dir;
  private final DeviceOpener opener = DeviceOpener.standard();
  private double worstAllocPerIo;

  private StorageBench(double seconds, Path dir) {
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
        default -> throw new IllegalArgumentException("usage: storage [--seconds S] [--dir DIR]");
      }
    }
    Path work = Files.createTempDirectory(dir, "caspian-bench-storage");
    try {
      new StorageBench(seconds, work).run();
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
    System.out.printf(Locale.ROOT, "bench/storage: 4 KiB random I/O, QD %d, %.0f s per run, files in %s%n",
        QD, seconds, dir);

    BlockDevice rawMalloc = opener.open("malloc:///raw?size_mb=1024&blk_size=4096");
    Pair mallocRaw = measure("malloc raw", rawMalloc, GIB);
    BlockDevice mallocDisk = opener.open("malloc:///pooldisk?size_mb=" + (POOL_DISK >> 20) + "&blk_size=4096");
    Pool mallocPool = Pool.create(mallocDisk, "bench-malloc", UUID.randomUUID(), 4L << 20, false);
    BlockDevice mallocReplica = mallocPool.createReplica(UUID.randomUUID(), "thick", GIB, false);
    Pair mallocThick = measure("malloc thick replica", mallocReplica, GIB);
    mallocPool.export();
    rawMalloc.close();

    Path rawFile = dir.resolve("raw.img");
    prefill(rawFile, GIB);
    BlockDevice fileDev = opener.open("file://" + rawFile);
    Pair fileRaw = measure("file raw (aio)", fileDev, GIB);
    fileDev.close();
    BlockDevice uringDev = opener.open("uring://" + rawFile);
    measure("file raw (uring)", uringDev, GIB);
    uringDev.close();
    Pair fio = fio(rawFile);

    Path poolFile = dir.resolve("pool.img");
    try (RandomAccessFile f = new RandomAccessFile(poolFile.toFile(), "rw")) {
      f.setLength(POOL_DISK);
    }
    BlockDevice poolDisk = opener.open("file://" + poolFile + "?blk_size=4096");
    Pool filePool = Pool.create(poolDisk, "bench-file", UUID.randomUUID(), 4L << 20, false);
    UUID thickId = UUID.randomUUID();
    BlockDevice thick = filePool.createReplica(thickId, "thick", GIB, false);
    fillSequential(thick, GIB);
    Pair fileThick = measure("file thick replica", thick, GIB);
    filePool.destroyReplica(thickId);

    BlockDevice thin = filePool.createReplica(UUID.randomUUID(), "thin", GIB, true);
    double steadyAlloc = worstAllocPerIo;
    LoadGenerator.Result first = once("file thin replica, first write", thin, LoadGenerator.Pattern.RANDWRITE);
    worstAllocPerIo = steadyAlloc;
    LoadGenerator.Result over = once("file thin replica, overwrite", thin, LoadGenerator.Pattern.RANDWRITE);
    filePool.export();

    double replicaOverRawMalloc = Math.min(mallocThick.read / mallocRaw.read, mallocThick.write / mallocRaw.write);
    double replicaOverRawFile = Math.min(fileThick.read / fileRaw.read, fileThick.write / fileRaw.write);
    double bdevOverFio = Math.min(fileRaw.read / fio.read, fileRaw.write / fio.write);
    System.out.printf(Locale.ROOT, "thin first write %.0f IOPS, overwrite %.0f IOPS%n", first.iops(), over.iops());
    // Cluster allocation allocates (metadata records), once per cluster: reported apart from the
    // steady-state figure, which covers every other run.
    System.out.printf(Locale.ROOT,
        "RESULT replica_over_raw_malloc=%.3f replica_over_raw_file=%.3f bdev_over_fio=%.3f alloc_bytes_per_io=%.2f"
            + " thin_first_write_alloc_bytes_per_io=%.2f thin_first_write_over_overwrite=%.3f%n",
        replicaOverRawMalloc, replicaOverRawFile, bdevOverFio, worstAllocPerIo,
        first.allocatedBytesPerIo(), first.iops() / over.iops());
  }

  private record Pair(double read, double write) {}

  private Pair measure(String what, BlockDevice dev, long span) throws InterruptedException {
    double w = once(what, dev, LoadGenerator.Pattern.RANDWRITE).iops();
    double r = once(what, dev, LoadGenerator.Pattern.RANDREAD).iops();
    return new Pair(r, w);
  }

  private LoadGenerator.Result once(String what, BlockDevice dev, LoadGenerator.Pattern pattern)
      throws InterruptedException {
    LoadGenerator.Result r = new LoadGenerator(dev, pattern, BS, QD, dev.size()).run(seconds);
    worstAllocPerIo = Math.max(worstAllocPerIo, r.allocatedBytesPerIo());
    System.out.printf(Locale.ROOT, "%-34s %-9s %9.0f IOPS  p50 %6.1f us  p99 %7.1f us  errors %d  alloc %.2f B/io%n",
        what, pattern.name().toLowerCase(Locale.ROOT), r.iops(), r.latency().quantile(0.5) / 1e3,
        r.latency().quantile(0.99) / 1e3, r.errors(), r.allocatedBytesPerIo());
    return r;
  }

  private Pair fio(Path file) throws IOException, InterruptedException {
    if (!Fio.available()) {
      throw new IOException("fio is not installed (apt-get install fio): it is this benchmark's baseline");
    }
    String[] target = {"--ioengine=io_uring", "--direct=1", "--filename=" + file, "--size=1g"};
    double w = Fio.run("randwrite", QD, seconds, target);
    System.out.printf(Locale.ROOT, "%-34s %-9s %9.0f IOPS%n", "fio io_uring O_DIRECT (same file)", "randwrite", w);
    double r = Fio.run("randread", QD, seconds, target);
    System.out.printf(Locale.ROOT, "%-34s %-9s %9.0f IOPS%n", "fio io_uring O_DIRECT (same file)", "randread", r);
    return new Pair(r, w);
  }

  /** Writes every block once, so reads measure the medium and not holes in a sparse file. */
  private static void prefill(Path file, long size) throws IOException {
    SplittableRandom random = new SplittableRandom(1);
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

  private static void fillSequential(BlockDevice dev, long size) throws Exception {
    ByteBuffer chunk = DirectMemory.allocate(1 << 20);
    SplittableRandom random = new SplittableRandom(2);
    for (long off = 0; off < size; off += chunk.capacity()) {
      for (int i = 0; i < chunk.capacity(); i += 8) {
        chunk.putLong(i, random.nextLong());
      }
      SyncIo.write(dev, off, chunk, 0, chunk.capacity());
    }
    SyncIo.flush(dev);
  }
}
