package io.caspian.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicaTest {

  private static final int CLUSTER = 64 << 10;

  private final MallocDevice mem = new MallocDevice("malloc:///replicas", 16 << 20, 512);
  private Pool pool;

  @AfterEach
  void exportPool() throws Exception {
    if (pool != null) {
      checkOwnership(pool);
      pool.export();
    }
  }

  private Pool newPool() throws Exception {
    pool = Pool.create(PowerLossDevice.reliable(mem), "p", UUID.randomUUID(), CLUSTER, false);
    return pool;
  }

  private Pool reimport() throws Exception {
    pool.export();
    pool = Pool.importFrom(PowerLossDevice.reliable(mem));
    return pool;
  }

  @Test
  void thinReadsZeroesAndAllocatesOnFirstWriteOnly() throws Exception {
    fillDataArea();
    newPool();
    Replica r = pool.createReplica(UUID.randomUUID(), "thin", 16L * CLUSTER, true);
    Disks.assertZero(Disks.read(r, 0, (int) r.size()), "fresh thin replica");
    assertFalse(r.mayHoldData(0, r.size()));
    assertEquals(0, pool.stats().used());

    byte[] data = Disks.pattern(1, 8192);
    long at = 5L * CLUSTER + 12288;
    Disks.write(r, at, data);
    assertEquals(CLUSTER, pool.stats().used());
    assertEquals(CLUSTER, r.allocatedBytes());
    assertTrue(r.mayHoldData(5L * CLUSTER, 512));
    assertFalse(r.mayHoldData(4L * CLUSTER, CLUSTER));
    assertFalse(r.mayHoldData(6L * CLUSTER, 10L * CLUSTER));
    byte[] cluster = Disks.read(r, 5L * CLUSTER, CLUSTER);
    byte[] expect = new byte[CLUSTER];
    System.arraycopy(data, 0, expect, 12288, data.length);
    assertArrayEquals(expect, cluster, "the rest of an allocated cluster reads zeroes");
    Disks.write(r, at, Disks.pattern(2, 8192));
    assertEquals(CLUSTER, pool.stats().used(), "a second write allocates nothing");
    // Zeroing unallocated space allocates nothing either.
    SyncIo.writeZeroes(r, 0, 4L * CLUSTER);
    assertEquals(CLUSTER, pool.stats().used());
  }

  /**
   * A file system with 1 KiB blocks (mkfs.ext4 on a small volume) writes and reads 1 KiB-aligned
   * ranges across clusters: the piece after the boundary starts inside the caller's buffer at a
   * block multiple, not a page multiple, and the O_DIRECT disk must take it (it refused such
   * pieces, and the kernel saw EIO, in the CSI driver's VM test).
   */
  @Test
  void blockAlignedIoAcrossClustersOnAFileDisk(@TempDir Path dir) throws Exception {
    Path img = dir.resolve("disk.img");
    try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
      f.setLength(16 << 20);
    }
    pool = Pool.create(DeviceOpener.standard().open("file://" + img), "p", UUID.randomUUID(),
        CLUSTER, false);
    Replica r = pool.createReplica(UUID.randomUUID(), "thin", 8L * CLUSTER, true);
    Replica other = pool.createReplica(UUID.randomUUID(), "other", 8L * CLUSTER, true);
    // Cluster 3, then another replica's, then cluster 2: 2 and 3 are apart on the disk, so an I/O
    // across them is split even once both are allocated.
    Disks.write(r, 3L * CLUSTER, Disks.pattern(1, 4096));
    Disks.write(other, 0, Disks.pattern(2, 4096));
    long at = 3L * CLUSTER - 3072;
    byte[] first = Disks.pattern(3, 8192);
    Disks.write(r, at, first);
    assertArrayEquals(first, Disks.read(r, at, first.length));
    byte[] second = Disks.pattern(4, 8192);
    Disks.write(r, at, second);
    assertArrayEquals(second, Disks.read(r, at, second.length));
    assertEquals(2L * CLUSTER, r.allocatedBytes());
  }

  @Test
  void thickReservesEveryClusterZeroedAtCreate() throws Exception {
    fillDataArea();
    newPool();
    long before = pool.stats().free();
    Replica r = pool.createReplica(UUID.randomUUID(), "thick", 10L * CLUSTER + 4096, false);
    assertEquals(11L * CLUSTER, before - pool.stats().free());
    assertEquals(0, pool.stats().committed());
    assertTrue(r.mayHoldData(0, 512));
    Disks.assertZero(Disks.read(r, 0, (int) r.size()), "fresh thick replica");
    byte[] data = Disks.pattern(3, 3 * CLUSTER);
    Disks.write(r, CLUSTER - 4096, data);
    assertArrayEquals(data, Disks.read(r, CLUSTER - 4096, data.length));
  }

  @Test
  void thickCreateIsRefusedWhenTheSpaceIsNotFree() throws Exception {
    newPool();
    PoolStats before = pool.stats();
    long tooBig = before.free() + CLUSTER;
    PoolException e = assertThrows(PoolException.class,
        () -> pool.createReplica(UUID.randomUUID(), "big", tooBig, false));
    assertEquals(PoolException.Kind.NO_SPACE, e.kind());
    assertTrue(e.getMessage().contains("bytes free"), e.getMessage());
    assertTrue(e.getMessage().startsWith("malloc:///replicas replica "), e.getMessage());
    assertEquals(before, pool.stats());
    assertTrue(pool.replicas().isEmpty());
    pool.createReplica(UUID.randomUUID(), "fits", before.free(), false);
    assertEquals(0, pool.stats().free());
  }

  @Test
  void thinWriteFailsWithNoSpaceAndEarlierDataSurvives() throws Exception {
    newPool();
    int clusters = (int) (pool.stats().capacity() / CLUSTER);
    Replica r = pool.createReplica(UUID.randomUUID(), "over", (clusters + 8L) * CLUSTER, true);
    for (int c = 0; c < clusters; c++) {
      Disks.write(r, (long) c * CLUSTER, Disks.pattern(c, 4096));
    }
    assertEquals(0, pool.stats().free());
    BdevException e = assertThrows(BdevException.class,
        () -> Disks.write(r, (long) clusters * CLUSTER, Disks.pattern(-1, 4096)));
    assertEquals(BdevException.Kind.NO_SPACE, e.kind());
    assertTrue(e.getMessage().startsWith(r.uri() + ": pool 'p' on malloc:///replicas "),
        e.getMessage());
    Disks.assertZero(Disks.read(r, (long) clusters * CLUSTER, CLUSTER), "failed cluster");
    reimport();
    Replica again = pool.replica(r.uuid()).orElseThrow();
    for (int c = 0; c < clusters; c++) {
      assertArrayEquals(Disks.pattern(c, 4096), Disks.read(again, (long) c * CLUSTER, 4096));
    }
  }

  @Test
  void concurrentWritesAcrossClustersReadBackAfterImport() throws Exception {
    newPool();
    int threads = 4;
    int region = 3 * CLUSTER + 20480; // regions share clusters, so allocations race
    Replica r = pool.createReplica(UUID.randomUUID(), "shared", (long) threads * region, true);
    byte[][] shadow = new byte[threads][region];
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    long deadline = System.nanoTime() + 1_500_000_000L;
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread w = new Thread(() -> {
        try {
          ThreadLocalRandom rnd = ThreadLocalRandom.current();
          ByteBuffer buf = Disks.buffer(2 * CLUSTER);
          start.await();
          for (int i = 0; i < 400 && System.nanoTime() < deadline; i++) {
            int len = 4096 * rnd.nextInt(1, 2 * CLUSTER / 4096);
            int off = 4096 * rnd.nextInt(0, (region - len) / 4096 + 1);
            byte[] data = Disks.pattern(rnd.nextLong(), len);
            buf.put(0, data);
            SyncIo.write(r, (long) id * region + off, buf, 0, len);
            System.arraycopy(data, 0, shadow[id], off, len);
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      });
      w.start();
      workers.add(w);
    }
    start.countDown();
    for (Thread w : workers) {
      w.join();
    }
    assertNull(failure.get());
    for (int pass = 0; pass < 2; pass++) {
      Replica cur = pool.replica(r.uuid()).orElseThrow();
      for (int t = 0; t < threads; t++) {
        assertArrayEquals(shadow[t], Disks.read(cur, (long) t * region, region),
            "region " + t + " pass " + pass);
      }
      checkOwnership(pool);
      reimport();
    }
  }

  @Test
  void resizeGrowsAndShrinksThinAndThick() throws Exception {
    newPool();
    Replica thin = pool.createReplica(UUID.randomUUID(), "thin", 8L * CLUSTER, true);
    for (int c = 0; c < 8; c++) {
      Disks.write(thin, (long) c * CLUSTER, Disks.pattern(c, 4096));
    }
    assertEquals(8L * CLUSTER, pool.stats().used());
    pool.resizeReplica(thin.uuid(), 3L * CLUSTER);
    assertEquals(3L * CLUSTER, thin.size());
    assertEquals(3L * CLUSTER, pool.stats().used());
    assertEquals(BdevException.Kind.OUT_OF_RANGE, assertThrows(BdevException.class,
        () -> Disks.read(thin, 3L * CLUSTER, 4096)).kind());
    pool.resizeReplica(thin.uuid(), 6L * CLUSTER);
    Disks.assertZero(Disks.read(thin, 3L * CLUSTER, 3 * CLUSTER), "regrown thin range");
    assertArrayEquals(Disks.pattern(2, 4096), Disks.read(thin, 2L * CLUSTER, 4096));

    Replica thick = pool.createReplica(UUID.randomUUID(), "thick", 2L * CLUSTER, false);
    Disks.write(thick, 0, Disks.pattern(9, 2 * CLUSTER));
    long used = pool.stats().used();
    pool.resizeReplica(thick.uuid(), 5L * CLUSTER);
    assertEquals(used + 3L * CLUSTER, pool.stats().used());
    Disks.assertZero(Disks.read(thick, 2L * CLUSTER, 3 * CLUSTER), "grown thick range");
    assertArrayEquals(Disks.pattern(9, 2 * CLUSTER), Disks.read(thick, 0, 2 * CLUSTER));
    pool.resizeReplica(thick.uuid(), CLUSTER);
    assertEquals(used - CLUSTER, pool.stats().used());
    PoolException tooBig = assertThrows(PoolException.class,
        () -> pool.resizeReplica(thick.uuid(), pool.stats().capacity() * 2));
    assertEquals(PoolException.Kind.NO_SPACE, tooBig.kind());
    assertEquals(CLUSTER, thick.size());

    reimport();
    assertEquals(6L * CLUSTER, pool.replica(thin.uuid()).orElseThrow().size());
    assertEquals(CLUSTER, pool.replica(thick.uuid()).orElseThrow().size());
    assertArrayEquals(Disks.pattern(9, CLUSTER), Disks.read(pool.replica(thick.uuid())
        .orElseThrow(), 0, CLUSTER));
  }

  @Test
  void unmapAndWriteZeroesTouchOnlyAllocatedClusters() throws Exception {
    newPool();
    Replica thin = pool.createReplica(UUID.randomUUID(), "thin", 4L * CLUSTER, true);
    Replica thick = pool.createReplica(UUID.randomUUID(), "thick", 4L * CLUSTER, false);
    Disks.write(thin, CLUSTER, Disks.pattern(5, CLUSTER));
    Disks.write(thick, 0, Disks.pattern(6, 4 * CLUSTER));
    long used = pool.stats().used();
    SyncIo.unmap(thin, 0, 4L * CLUSTER);
    SyncIo.writeZeroes(thick, CLUSTER / 2, 2L * CLUSTER);
    assertEquals(used, pool.stats().used());
    byte[] all = Disks.read(thick, 0, 4 * CLUSTER);
    byte[] expect = Disks.pattern(6, 4 * CLUSTER);
    java.util.Arrays.fill(expect, CLUSTER / 2, CLUSTER / 2 + 2 * CLUSTER, (byte) 0);
    assertArrayEquals(expect, all);
    assertFalse(thin.mayHoldData(0, CLUSTER));
    assertTrue(thin.mayHoldData(0, 2L * CLUSTER));
  }

  @Test
  void createIsIdempotentAndConflictsAreRefused() throws Exception {
    newPool();
    UUID id = UUID.randomUUID();
    Replica r = pool.createReplica(id, "a", CLUSTER, true);
    assertSame(r, pool.createReplica(id, "a", CLUSTER, true));
    assertEquals(PoolException.Kind.CONFLICT, assertThrows(PoolException.class,
        () -> pool.createReplica(id, "a", 2L * CLUSTER, true)).kind());
    assertEquals(PoolException.Kind.CONFLICT, assertThrows(PoolException.class,
        () -> pool.createReplica(UUID.randomUUID(), "a", CLUSTER, true)).kind());
    assertEquals(PoolException.Kind.INVALID, assertThrows(PoolException.class,
        () -> pool.createReplica(UUID.randomUUID(), "odd", 1000, true)).kind());
    assertEquals(PoolException.Kind.NOT_FOUND, assertThrows(PoolException.class,
        () -> pool.destroyReplica(UUID.randomUUID())).kind());
    assertEquals(PoolException.Kind.NOT_FOUND, assertThrows(PoolException.class,
        () -> pool.resizeReplica(UUID.randomUUID(), CLUSTER)).kind());
  }

  @Test
  void destroyedReplicaFailsLaterIoAndFreesItsClusters() throws Exception {
    newPool();
    Replica r = pool.createReplica(UUID.randomUUID(), "gone", 4L * CLUSTER, false);
    Disks.write(r, 0, Disks.pattern(4, 4096));
    pool.destroyReplica(r.uuid());
    assertEquals(0, pool.stats().used());
    assertTrue(pool.replica(r.uuid()).isEmpty());
    assertEquals(BdevException.Kind.CLOSED,
        assertThrows(BdevException.class, () -> Disks.read(r, 0, 4096)).kind());
    assertEquals(BdevException.Kind.CLOSED,
        assertThrows(BdevException.class, () -> Disks.write(r, 0, new byte[4096])).kind());
    // The clusters come back zeroed to the next owner.
    Replica next = pool.createReplica(UUID.randomUUID(), "next", 4L * CLUSTER, false);
    Disks.assertZero(Disks.read(next, 0, 4 * CLUSTER), "reused clusters");
  }

  @Test
  void replicaCountIsCapped() throws Exception {
    newPool();
    for (int i = 0; i < Superblock.MAX_REPLICAS; i++) {
      pool.createReplica(UUID.randomUUID(), "r" + i, 4096, true);
    }
    PoolException e = assertThrows(PoolException.class,
        () -> pool.createReplica(UUID.randomUUID(), "one-more", 4096, true));
    assertEquals(PoolException.Kind.TOO_MANY_REPLICAS, e.kind());
    reimport();
    assertEquals(Superblock.MAX_REPLICAS, pool.replicas().size());
  }

  /** Fills the disk past the superblock with a pattern, so zeroes have to be written. */
  private void fillDataArea() throws Exception {
    byte[] junk = new byte[1 << 20];
    java.util.Arrays.fill(junk, (byte) 0xAB);
    // Old data where replicas go, past the metadata area (create refuses data in the latter).
    long data = Superblock.layout(mem.uri(), UUID.randomUUID(), "p", CLUSTER, mem.blockSize(),
        mem.size(), Superblock.DEFAULT_LOG_BLOCKS).dataOffset();
    for (long off = data; off < mem.size(); off += junk.length) {
      Disks.write(mem, off, java.util.Arrays.copyOf(junk, (int) Math.min(junk.length,
          mem.size() - off)));
    }
  }

  /** No physical cluster belongs to two replicas, and used space equals the extent maps. */
  static void checkOwnership(Pool pool) {
    Set<Integer> owned = new HashSet<>();
    long clusters = 0;
    for (Replica r : pool.replicas()) {
      for (Run run : r.extents()) {
        for (int i = 0; i < run.length(); i++) {
          assertTrue(owned.add(run.physical() + i), "cluster " + (run.physical() + i)
              + " owned twice");
        }
        clusters += run.length();
      }
      if (!r.thin()) {
        assertEquals((r.size() + pool.clusterSize() - 1) / pool.clusterSize(),
            r.allocatedBytes() / pool.clusterSize(), "thick " + r + " fully allocated");
      }
    }
    assertEquals(clusters * pool.clusterSize(), pool.stats().used());
  }
}
