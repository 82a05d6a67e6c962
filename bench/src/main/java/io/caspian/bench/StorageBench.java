package io.caspian.bench;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.SyncIo;
import io.caspian.pool.Pool;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
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
  private final Ratio.Plan plan;
  private final Path dir;
  private final DeviceOpener opener = DeviceOpener.standard();
  private double worstAllocPerIo;

  private StorageBench(double seconds, Ratio.Plan plan, Path dir) {
    this.seconds = seconds;
    this.plan = plan;
    this.dir = dir;
  }

  public static void main(String[] args) throws Exception {
    TimedBench.sliced("storage", args, (seconds, plan, work) -> new StorageBench(seconds, plan, work).run());
  }

  private void run() throws Exception {
    System.out.printf(Locale.ROOT, "bench/storage: 4 KiB random I/O, QD %d; each ratio the median of %d slices of %s s"
        + " a side (warm-up, then A B and B A in turn); %.0f s per thin-replica figure; files in %s%n", QD,
        plan.slices(), plan.sliceSeconds(), seconds, dir);

    BlockDevice rawMalloc = opener.open("malloc:///raw?size_mb=1024&blk_size=4096");
    BlockDevice mallocDisk = opener.open("malloc:///pooldisk?size_mb=" + (POOL_DISK >> 20) + "&blk_size=4096");
    Pool mallocPool = Pool.create(mallocDisk, "bench-malloc", UUID.randomUUID(), 4L << 20, false);
    BlockDevice mallocReplica = mallocPool.createReplica(UUID.randomUUID(), "thick", GIB, false);
    Subject mallocRaw = device("malloc raw", rawMalloc);
    Subject mallocThick = device("malloc thick replica", mallocReplica);
    Ratio.Spread replicaOverRawMalloc = Ratio.worseOfReadWrite("replica_over_raw_malloc", mallocThick, mallocRaw,
        plan);
    mallocPool.export();
    rawMalloc.close();

    Path rawFile = dir.resolve("raw.img");
    BlockDevice fileDev = opener.open("file://" + rawFile + "?blk_size=4096&size_mb=" + (GIB >> 20));
    fillSequential(fileDev, GIB);
    Subject fileRaw = device("file raw (file://, io_uring)", fileDev);
    Subject fio = fio(rawFile);
    Ratio.Spread bdevOverFio = Ratio.worseOfReadWrite("bdev_over_fio", fileRaw, fio, plan);

    Path poolFile = dir.resolve("pool.img");
    BlockDevice poolDisk = opener.open("file://" + poolFile + "?blk_size=4096&size_mb=" + (POOL_DISK >> 20));
    Pool filePool = Pool.create(poolDisk, "bench-file", UUID.randomUUID(), 4L << 20, false);
    UUID thickId = UUID.randomUUID();
    BlockDevice thick = filePool.createReplica(thickId, "thick", GIB, false);
    fillSequential(thick, GIB);
    Subject fileThick = device("file thick replica", thick);
    Ratio.Spread replicaOverRawFile = Ratio.worseOfReadWrite("replica_over_raw_file", fileThick, fileRaw, plan);
    fileDev.close();
    BlockDevice aioDev = opener.open("aio://" + rawFile);
    Subject aio = device("file raw (aio://, Linux AIO)", aioDev);
    Ratio.worseOfReadWrite("aio_over_fio", aio, fio, plan);
    aioDev.close();
    filePool.destroyReplica(thickId);

    BlockDevice thin = filePool.createReplica(UUID.randomUUID(), "thin", GIB, true);
    double steadyAlloc = worstAllocPerIo;
    LoadGenerator.Result first = once("file thin replica, first write", thin, LoadGenerator.Pattern.RANDWRITE,
        seconds);
    worstAllocPerIo = steadyAlloc;
    LoadGenerator.Result over = once("file thin replica, overwrite", thin, LoadGenerator.Pattern.RANDWRITE,
        seconds);
    filePool.export();

    System.out.printf(Locale.ROOT, "thin first write %.0f IOPS, overwrite %.0f IOPS%n", first.iops(), over.iops());
    // Cluster allocation allocates (metadata records), once per cluster: reported apart from the
    // steady-state figure, which covers every other run.
    System.out.println(replicaOverRawMalloc.line("replica_over_raw_malloc, worse of read/write"));
    System.out.println(replicaOverRawFile.line("replica_over_raw_file, worse of read/write"));
    System.out.println(bdevOverFio.line("bdev_over_fio, worse of read/write"));
    System.out.printf(Locale.ROOT, "RESULT %s %s %s alloc_bytes_per_io=%.2f thin_first_write_alloc_bytes_per_io=%.2f"
            + " thin_first_write_over_overwrite=%.3f%n", replicaOverRawMalloc.result("replica_over_raw_malloc"),
        replicaOverRawFile.result("replica_over_raw_file"), bdevOverFio.result("bdev_over_fio"), worstAllocPerIo,
        first.allocatedBytesPerIo(), first.iops() / over.iops());
  }

  private Subject device(String name, BlockDevice dev) {
    return (rw, secs) -> once(name, dev, LoadGenerator.Pattern.of(rw), secs).iops();
  }

  private Subject fio(Path file) throws IOException {
    if (!Fio.available()) {
      throw new IOException("fio is not installed (apt-get install fio): it is this benchmark's baseline");
    }
    String[] target = {"--ioengine=io_uring", "--direct=1", "--filename=" + file, "--size=1g"};
    return (rw, secs) -> {
      double iops = Fio.run(rw, QD, secs, target);
      System.out.printf(Locale.ROOT, "%-36s %-9s %9.0f IOPS%n", "fio io_uring O_DIRECT", rw, iops);
      return iops;
    };
  }

  private LoadGenerator.Result once(String what, BlockDevice dev, LoadGenerator.Pattern pattern, double secs)
      throws InterruptedException {
    LoadGenerator.Result r = new LoadGenerator(dev, pattern, BS, QD, dev.size()).run(secs);
    worstAllocPerIo = Math.max(worstAllocPerIo, r.allocatedBytesPerIo());
    System.out.printf(Locale.ROOT, "%-36s %-9s %9.0f IOPS  p50 %6.1f us  p99 %7.1f us  errors %d  alloc %.2f B/io%n",
        what, pattern.name().toLowerCase(Locale.ROOT), r.iops(), r.latency().quantile(0.5) / 1e3,
        r.latency().quantile(0.99) / 1e3, r.errors(), r.allocatedBytesPerIo());
    return r;
  }

  /** Writes every block once, so reads measure the medium and not holes or unwritten extents. */
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
