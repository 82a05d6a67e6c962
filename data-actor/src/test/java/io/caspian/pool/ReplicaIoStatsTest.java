package io.caspian.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.IoCompletion;
import io.caspian.bdev.IoStats;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The replica_* and diskpool_* figures the metrics show move with the replicas' reads and writes. */
class ReplicaIoStatsTest {

  private static final int CLUSTER = 64 << 10;

  private final Pool pool = Pool.create(new MallocDevice("malloc:///replica-stats", 16 << 20, 512),
      "p", UUID.randomUUID(), CLUSTER, false);
  private final ByteBuffer buf = DirectMemory.allocate(2 * CLUSTER);

  ReplicaIoStatsTest() throws PoolException {
  }

  @AfterEach
  void exportPool() throws PoolException {
    pool.export();
  }

  @Test
  void everyReadAndWriteIsCountedOnceWhicheverPathItTakes() throws Exception {
    Replica thick = pool.createReplica(UUID.randomUUID(), "thick", 4L * CLUSTER, false);
    Replica thin = pool.createReplica(UUID.randomUUID(), "thin", 4L * CLUSTER, true);
    SyncIo.write(thick, 0, buf, 0, 4096);
    // across two clusters: split into pieces, still one write
    SyncIo.write(thick, CLUSTER - 4096, buf, 0, 8192);
    SyncIo.read(thick, CLUSTER - 4096, buf, 0, 8192);
    // a thin replica's first write waits for its cluster's allocation; a read of a hole is zeroes
    SyncIo.write(thin, 0, buf, 0, 4096);
    SyncIo.write(thin, 0, buf, 0, 4096);
    SyncIo.read(thin, 2L * CLUSTER, buf, 0, 4096);
    SyncIo.flush(thick);
    SyncIo.unmap(thick, 0, 4096);
    SyncIo.writeZeroes(thick, 0, 4096);

    IoStats a = thick.ioStats();
    assertEquals(2, a.writeOps(), a.toString());
    assertEquals(4096 + 8192, a.bytesWritten());
    assertEquals(1, a.readOps());
    assertEquals(8192, a.bytesRead());
    IoStats b = thin.ioStats();
    assertEquals(2, b.writeOps(), b.toString());
    assertEquals(8192, b.bytesWritten());
    assertEquals(1, b.readOps());
    assertEquals(a.plus(b), pool.ioStats(), "the pool's figures are its replicas'");
  }

  @Test
  void aFailedIoIsNotCounted() throws Exception {
    Replica r = pool.createReplica(UUID.randomUUID(), "r", 4L * CLUSTER, false);
    assertThrows(BdevException.class, () -> SyncIo.read(r, 4L * CLUSTER, buf, 0, 4096));
    r.close();
    assertThrows(BdevException.class, () -> SyncIo.write(r, 0, buf, 0, 4096));
    assertEquals(IoStats.ZERO, r.ioStats());
  }

  @Test
  void countingOffLeavesTheFiguresStillAndOnAgainResumes() throws Exception {
    Replica r = pool.createReplica(UUID.randomUUID(), "r", 4L * CLUSTER, false);
    pool.countIo(false);
    SyncIo.write(r, 0, buf, 0, 4096);
    SyncIo.read(r, 0, buf, 0, 4096);
    assertEquals(IoStats.ZERO, r.ioStats());
    pool.countIo(true);
    SyncIo.write(r, 0, buf, 0, 4096);
    assertEquals(1, r.ioStats().writeOps());
  }

  @Test
  void countedIoAllocatesNothing() throws Exception {
    Replica r = pool.createReplica(UUID.randomUUID(), "r", 4L * CLUSTER, false);
    BdevException[] last = new BdevException[1];
    IoCompletion done = e -> last[0] = e;
    run(r, done, 20_000); // warm up: timing contexts and JIT
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    long before = mx.getThreadAllocatedBytes(tid);
    run(r, done, 20_000);
    long allocated = mx.getThreadAllocatedBytes(tid) - before;
    assertNull(last[0]);
    assertEquals(80_000, r.ioStats().writeOps() + r.ioStats().readOps());
    assertTrue(allocated < 20_000, "40000 counted I/Os allocated " + allocated + " bytes");
  }

  private void run(Replica r, IoCompletion done, int n) {
    for (int i = 0; i < n; i++) {
      long off = (i * 4096L) % (4L * CLUSTER);
      r.write(off, buf, 0, 4096, done);
      r.read(off, buf, 0, 4096, done);
    }
  }

  @Test
  void aDestroyedReplicasCountsStayInThePools() throws Exception {
    Replica gone = pool.createReplica(UUID.randomUUID(), "gone", 4L * CLUSTER, false);
    Replica stays = pool.createReplica(UUID.randomUUID(), "stays", 4L * CLUSTER, false);
    SyncIo.write(gone, 0, buf, 0, 4096);
    SyncIo.write(stays, 0, buf, 0, 512);
    pool.destroyReplica(gone.uuid());
    IoStats s = pool.ioStats();
    assertEquals(2, s.writeOps(), s.toString());
    assertEquals(4096 + 512, s.bytesWritten());
  }
}
