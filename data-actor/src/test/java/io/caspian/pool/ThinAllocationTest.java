package io.caspian.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.ForwardingDevice;
import io.caspian.bdev.ErrorInjectionDevice;
import io.caspian.bdev.Injection;
import io.caspian.bdev.IoCompletion;
import io.caspian.bdev.IoType;
import io.caspian.bdev.MallocDevice;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The thin allocation path: asynchronous, shared by racing writes, durable before the write. */
class ThinAllocationTest {

  private static final int CLUSTER = 64 << 10;

  private final MallocDevice mem = new MallocDevice("malloc:///thin", 16 << 20, 4096);

  @Test
  void firstWritesQueueBehindOneAllocationWithoutBlockingTheSubmitter() throws Exception {
    GatedDevice disk = new GatedDevice(mem);
    Pool pool = Pool.create(disk, "p", UUID.randomUUID(), CLUSTER, false);
    Replica r = pool.createReplica(UUID.randomUUID(), "t", 8L * CLUSTER, true);
    disk.hold = true;
    List<CompletableFuture<BdevException>> writes = new ArrayList<>();
    ByteBuffer buf = Disks.buffer(3 * 4096);
    buf.put(0, Disks.pattern(1, 3 * 4096));
    for (int i = 0; i < 3; i++) {
      CompletableFuture<BdevException> f = new CompletableFuture<>();
      r.write(2L * CLUSTER + i * 4096, buf, i * 4096, 4096, f::complete);
      writes.add(f);
    }
    // The submitter got its thread back; the allocation waits for the cluster to be zeroed.
    assertTrue(disk.awaitHeld());
    Thread.sleep(50);
    for (CompletableFuture<BdevException> f : writes) {
      assertFalse(f.isDone(), "a write was acknowledged before its allocation was durable");
    }
    Disks.assertZero(Disks.read(r, 2L * CLUSTER, CLUSTER), "cluster being allocated");
    assertEquals(0, pool.stats().used());
    disk.release();
    for (CompletableFuture<BdevException> f : writes) {
      assertNull(f.get(5, TimeUnit.SECONDS));
    }
    assertEquals(1, disk.zeroings.get(), "racing writes share one allocation");
    assertEquals(CLUSTER, pool.stats().used());
    pool.export();
    Replica again = Pool.importFrom(PowerLossDevice.reliable(mem)).replica(r.uuid()).orElseThrow();
    assertArrayEquals(Disks.pattern(1, 3 * 4096), Disks.read(again, 2L * CLUSTER, 3 * 4096));
  }

  @Test
  void writesWaitingForAnAllocationFailClosedWhenTheReplicaIsDestroyed() throws Exception {
    GatedDevice disk = new GatedDevice(mem);
    Pool pool = Pool.create(disk, "p", UUID.randomUUID(), CLUSTER, false);
    Replica r = pool.createReplica(UUID.randomUUID(), "t", 8L * CLUSTER, true);
    Replica other = pool.createReplica(UUID.randomUUID(), "o", 8L * CLUSTER, true);
    disk.hold = true;
    // The writer is busy zeroing for "other" while r's first write queues behind it.
    CompletableFuture<BdevException> blocker = new CompletableFuture<>();
    ByteBuffer buf = Disks.buffer(4096);
    other.write(0, buf, 0, 4096, blocker::complete);
    assertTrue(disk.awaitHeld());
    CompletableFuture<BdevException> queued = new CompletableFuture<>();
    r.write(0, buf, 0, 4096, queued::complete);
    CompletableFuture<Void> destroy = CompletableFuture.runAsync(() -> {
      try {
        pool.destroyReplica(r.uuid());
      } catch (PoolException e) {
        throw new IllegalStateException(e);
      }
    });
    awaitQueued(pool, 2);
    disk.hold = false;
    disk.release();
    destroy.get(5, TimeUnit.SECONDS);
    assertNull(blocker.get(5, TimeUnit.SECONDS));
    BdevException e = queued.get(5, TimeUnit.SECONDS);
    assertEquals(BdevException.Kind.CLOSED, e.kind());
    ReplicaTest.checkOwnership(pool);
    assertEquals(CLUSTER, pool.stats().used());
    pool.export();
  }

  @Test
  void aWriteWaitingForAClusterThatAShrinkRemovesFailsOutOfRange() throws Exception {
    GatedDevice disk = new GatedDevice(mem);
    Pool pool = Pool.create(disk, "p", UUID.randomUUID(), CLUSTER, false);
    Replica r = pool.createReplica(UUID.randomUUID(), "t", 8L * CLUSTER, true);
    Replica other = pool.createReplica(UUID.randomUUID(), "o", 8L * CLUSTER, true);
    disk.hold = true;
    CompletableFuture<BdevException> blocker = new CompletableFuture<>();
    ByteBuffer buf = Disks.buffer(4096);
    other.write(0, buf, 0, 4096, blocker::complete);
    assertTrue(disk.awaitHeld());
    CompletableFuture<BdevException> queued = new CompletableFuture<>();
    r.write(6L * CLUSTER, buf, 0, 4096, queued::complete);
    CompletableFuture<Void> shrink = CompletableFuture.runAsync(() -> {
      try {
        pool.resizeReplica(r.uuid(), 2L * CLUSTER);
      } catch (PoolException e) {
        throw new IllegalStateException(e);
      }
    });
    awaitQueued(pool, 2);
    disk.hold = false;
    disk.release();
    shrink.get(5, TimeUnit.SECONDS);
    assertNull(blocker.get(5, TimeUnit.SECONDS));
    assertEquals(BdevException.Kind.OUT_OF_RANGE, queued.get(5, TimeUnit.SECONDS).kind());
    ReplicaTest.checkOwnership(pool);
    assertEquals(CLUSTER, pool.stats().used());
    pool.export();
  }

  @Test
  void zeroingAThickReplicaDoesNotHoldUpThinAllocations() throws Exception {
    GatedDevice disk = new GatedDevice(mem);
    Pool pool = Pool.create(disk, "p", UUID.randomUUID(), CLUSTER, false);
    Replica thin = pool.createReplica(UUID.randomUUID(), "thin", 8L * CLUSTER, true);
    disk.heldMinimum = 2L * CLUSTER;
    disk.hold = true;
    UUID thickId = UUID.randomUUID();
    CompletableFuture<Replica> thick = CompletableFuture.supplyAsync(() -> {
      try {
        return pool.createReplica(thickId, "thick", 16L * CLUSTER, false);
      } catch (PoolException e) {
        throw new IllegalStateException(e);
      }
    });
    assertTrue(disk.awaitHeld());
    Disks.write(thin, 3L * CLUSTER, Disks.pattern(7, 4096));
    assertEquals(17L * CLUSTER, pool.stats().used(), "the thick clusters are set aside");
    assertTrue(pool.replica(thickId).isEmpty());
    assertEquals(PoolException.Kind.CONFLICT, assertThrows(PoolException.class,
        () -> pool.createReplica(UUID.randomUUID(), "thick", CLUSTER, true)).kind());
    assertFalse(thick.isDone());
    disk.release();
    Replica r = thick.get(5, TimeUnit.SECONDS);
    assertEquals(16L * CLUSTER, r.size());
    ReplicaTest.checkOwnership(pool);
    pool.export();
  }

  @Test
  void aThickCreateWhoseZeroingFailsGivesItsSpaceBack() throws Exception {
    ErrorInjectionDevice disk = new ErrorInjectionDevice(PowerLossDevice.reliable(mem));
    Pool pool = Pool.create(disk, "p", UUID.randomUUID(), CLUSTER, false);
    PoolStats before = pool.stats();
    Superblock sb = pool.superblock();
    disk.inject(new Injection(IoType.WRITE_ZEROES, Injection.Stage.SUBMIT, sb.dataOffset(),
        Long.MAX_VALUE - sb.dataOffset(), 1, BdevException.Kind.IO_ERROR));
    UUID id = UUID.randomUUID();
    PoolException e = assertThrows(PoolException.class,
        () -> pool.createReplica(id, "thick", 4L * CLUSTER, false));
    assertEquals(PoolException.Kind.IO, e.kind());
    assertEquals(before, pool.stats());
    assertEquals(4L * CLUSTER, pool.createReplica(id, "thick", 4L * CLUSTER, false).size());
    pool.export();
  }

  @Test
  void aFailedMetadataWriteFencesThePoolUntilReimport() throws Exception {
    ErrorInjectionDevice disk = new ErrorInjectionDevice(PowerLossDevice.reliable(mem));
    Pool pool = Pool.create(disk, "p", UUID.randomUUID(), CLUSTER, false);
    UUID keep = UUID.randomUUID();
    pool.createReplica(keep, "keep", 4L * CLUSTER, true);
    Replica r = pool.replica(keep).orElseThrow();
    Superblock sb = pool.superblock();
    disk.inject(new Injection(IoType.WRITE, Injection.Stage.SUBMIT, sb.logOffset(),
        (long) sb.logBlocks() * Superblock.BLOCK, 1, BdevException.Kind.IO_ERROR));
    PoolException failed = assertThrows(PoolException.class,
        () -> pool.createReplica(UUID.randomUUID(), "lost", CLUSTER, true));
    assertEquals(PoolException.Kind.IO, failed.kind());
    // The injection is spent, but memory may be ahead of the disk now: changes stay refused.
    assertEquals(PoolException.Kind.IO, assertThrows(PoolException.class,
        () -> pool.createReplica(UUID.randomUUID(), "next", CLUSTER, true)).kind());
    BdevException thin = assertThrows(BdevException.class,
        () -> Disks.write(r, 0, new byte[4096]));
    assertEquals(BdevException.Kind.IO_ERROR, thin.kind());
    pool.export();
    Pool again = Pool.importFrom(PowerLossDevice.reliable(mem));
    assertEquals(List.of("keep"), again.replicas().stream().map(Replica::name).toList());
    again.createReplica(UUID.randomUUID(), "next", CLUSTER, true);
    again.export();
  }

  @Test
  void ioInsideAnAllocatedClusterAllocatesNothing() throws Exception {
    Pool pool = Pool.create(PowerLossDevice.reliable(mem), "p", UUID.randomUUID(), CLUSTER,
        false);
    Replica thin = pool.createReplica(UUID.randomUUID(), "t", 4L * CLUSTER, true);
    Replica thick = pool.createReplica(UUID.randomUUID(), "k", 4L * CLUSTER, false);
    Disks.write(thin, CLUSTER, new byte[4096]);
    ByteBuffer buf = Disks.buffer(4096);
    AtomicInteger errors = new AtomicInteger();
    IoCompletion done = e -> {
      if (e != null) {
        errors.incrementAndGet();
      }
    };
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    long allocated = 0;
    for (int round = 0; round < 3; round++) {
      long before = mx.getThreadAllocatedBytes(tid);
      for (int i = 0; i < 20_000; i++) {
        long off = CLUSTER + (i & 7) * 4096L;
        thin.write(off, buf, 0, 4096, done);
        thin.read(off, buf, 0, 4096, done);
        thick.write(off, buf, 0, 4096, done);
        thick.read(off, buf, 0, 4096, done);
        thin.read(3L * CLUSTER + 4096, buf, 0, 4096, done); // unallocated: zero fill
        thin.flush(done);
      }
      allocated = mx.getThreadAllocatedBytes(tid) - before;
    }
    assertEquals(0, errors.get());
    assertTrue(allocated < 1024, "120000 I/Os allocated " + allocated + " bytes");
    pool.export();
  }

  /** Waits until {@code n} metadata changes queue behind the held one. */
  private static void awaitQueued(Pool pool, int n) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (pool.queuedChanges() < n) {
      assertTrue(System.nanoTime() < deadline, "changes did not queue up");
      Thread.sleep(1);
    }
  }

  /** Holds write-zeroes (the first step of an allocation) until released. */
  private static final class GatedDevice extends ForwardingDevice {
    volatile boolean hold;
    /** Only write-zeroes at least this long are held. */
    volatile long heldMinimum;
    final AtomicInteger zeroings = new AtomicInteger();
    private final List<Runnable> held = new ArrayList<>();
    private final CompletableFuture<Void> someHeld = new CompletableFuture<>();

    GatedDevice(BlockDevice inner) {
      super(inner);
    }

    boolean awaitHeld() throws Exception {
      someHeld.get(5, TimeUnit.SECONDS);
      return true;
    }

    void release() {
      List<Runnable> go;
      synchronized (held) {
        go = new ArrayList<>(held);
        held.clear();
      }
      go.forEach(Runnable::run);
    }

    @Override
    public void writeZeroes(long offset, long length, IoCompletion done) {
      if (!hold || length < heldMinimum) {
        inner.writeZeroes(offset, length, done);
        return;
      }
      zeroings.incrementAndGet();
      synchronized (held) {
        held.add(() -> inner.writeZeroes(offset, length, done));
      }
      someHeld.complete(null);
    }

    @Override
    public void close() {}
  }
}
