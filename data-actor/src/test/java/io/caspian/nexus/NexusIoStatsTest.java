package io.caspian.nexus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.Injection;
import io.caspian.bdev.IoStats;
import io.caspian.bdev.IoType;
import io.caspian.bdev.SyncIo;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The volume counters the metrics show move with the front-end I/O, and only with it. */
class NexusIoStatsTest {

  @Test
  void readsAndWritesAreCountedOnceWhateverTheChildren() throws Exception {
    try (Nexus nexus = mirror(new Children(4 << 20, 512), "a", "b", "c")) {
      assertEquals(new IoStats(0, 0, 0, 0, 0, 0), nexus.ioStats());
      ByteBuffer buf = DirectMemory.allocate(8192);
      for (int i = 0; i < 5; i++) {
        SyncIo.write(nexus, i * 8192L, buf, 0, 8192);
      }
      for (int i = 0; i < 3; i++) {
        SyncIo.read(nexus, i * 4096L, buf, 0, 4096);
      }
      // Neither flushes, unmaps nor write-zeroes are reads or writes in Mayastor's figures.
      SyncIo.flush(nexus);
      SyncIo.unmap(nexus, 0, 4096);
      SyncIo.writeZeroes(nexus, 0, 4096);
      IoStats s = nexus.ioStats();
      assertEquals(5, s.writeOps(), "a mirrored write is one volume write, not three: " + s);
      assertEquals(5 * 8192, s.bytesWritten());
      assertEquals(3, s.readOps());
      assertEquals(3 * 4096, s.bytesRead());
      assertTrue(s.writeLatencyUs() >= 0 && s.readLatencyUs() >= 0, s.toString());
    }
  }

  @Test
  void aReadRetriedOnAnotherChildCountsOnceAndAFailedOneNotAtAll() throws Exception {
    Children kids = new Children(4 << 20, 512);
    List<String> uris = List.of("bdev:///a", "bdev:///b");
    try (Nexus nexus = mirror(kids, "a", "b")) {
      ByteBuffer buf = DirectMemory.allocate(4096);
      kids.inject(uris.get(0)).inject(Injection.always(IoType.READ));
      for (int i = 0; i < 4; i++) {
        SyncIo.read(nexus, 0, buf, 0, 4096);
      }
      assertEquals(4, nexus.ioStats().readOps());
      kids.inject(uris.get(1)).inject(Injection.always(IoType.READ));
      assertThrows(BdevException.class, () -> SyncIo.read(nexus, 0, buf, 0, 4096));
      assertEquals(4, nexus.ioStats().readOps());
    }
  }

  @Test
  void latencyIsTheTimeFromSubmissionToCompletion() throws Exception {
    AtomicReference<HoldingDevice> holder = new AtomicReference<>();
    Children kids = new Children(4 << 20, 512).wrapping(d -> {
      HoldingDevice h = new HoldingDevice(d);
      holder.set(h);
      return h;
    });
    try (Nexus nexus = mirror(kids, "a")) {
      ByteBuffer buf = DirectMemory.allocate(4096);
      holder.get().holdNextWrite();
      CompletableFuture<BdevException> done = new CompletableFuture<>();
      nexus.write(0, buf, 0, 4096, done::complete);
      assertTrue(holder.get().held.await(5, TimeUnit.SECONDS));
      Thread.sleep(30);
      assertEquals(0, nexus.ioStats().writeOps(), "counted when it completes, not before");
      holder.get().release();
      assertNull(done.get(5, TimeUnit.SECONDS));
      IoStats s = nexus.ioStats();
      assertEquals(1, s.writeOps());
      assertTrue(s.writeLatencyUs() >= 30_000 && s.writeLatencyUs() < 30_000_000, s.toString());
    }
  }

  @Test
  void countingOffLeavesTheFiguresStillAndOnAgainResumes() throws Exception {
    try (Nexus nexus = mirror(new Children(4 << 20, 512), "a", "b")) {
      ByteBuffer buf = DirectMemory.allocate(4096);
      nexus.countIo(false);
      SyncIo.write(nexus, 0, buf, 0, 4096);
      SyncIo.read(nexus, 0, buf, 0, 4096);
      assertEquals(IoStats.ZERO, nexus.ioStats());
      nexus.countIo(true);
      SyncIo.write(nexus, 0, buf, 0, 4096);
      SyncIo.read(nexus, 0, buf, 0, 4096);
      IoStats s = nexus.ioStats();
      assertEquals(1, s.writeOps(), s.toString());
      assertEquals(1, s.readOps());
    }
  }

  /** A nexus over new children {@code names}, all Online. */
  private static Nexus mirror(Children kids, String... names) throws BdevException {
    return Nexus.create(String.join("-", names), kids.size, kids.make(names), kids.opener(),
        NexusOptions.defaults());
  }
}
