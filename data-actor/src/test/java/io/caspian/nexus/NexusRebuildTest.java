package io.caspian.nexus;

import static io.caspian.nexus.NexusTest.filled;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.Injection;
import io.caspian.bdev.IoType;
import io.caspian.bdev.SyncIo;
import io.caspian.rebuild.RebuildOptions;
import io.caspian.rebuild.RebuildRecord;
import io.caspian.rebuild.RebuildState;
import io.caspian.rebuild.RebuildStats;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NexusRebuildTest {

  private static final long SIZE = 4 << 20;
  private Children kids = new Children(SIZE, 512);
  private Nexus nexus;

  private Nexus create(List<String> uris, RebuildOptions rebuild) throws BdevException {
    nexus = Nexus.create("r1", SIZE, uris, kids.opener(),
        NexusOptions.defaults().withRebuild(rebuild));
    return nexus;
  }

  @AfterEach
  void close() {
    if (nexus != null) {
      nexus.close();
    }
  }

  private void fill() throws BdevException {
    ByteBuffer b = filled(65536, (byte) 0);
    for (long off = 0; off < SIZE; off += 65536) {
      for (int i = 0; i < 65536; i += 512) {
        b.putLong(i, off + i);
      }
      SyncIo.write(nexus, off, b);
    }
  }

  private static void waitFor(BooleanSupplier cond, String what)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(2);
    }
  }

  private RebuildStats stats(String uri) {
    try {
      return nexus.rebuildStats(uri);
    } catch (BdevException e) {
      throw new AssertionError(e);
    }
  }

  /** A filled nexus over the first of {@code uris} with {@code rebuild}, rebuilding the second. */
  private CompletableFuture<RebuildRecord> rebuildingSecondChild(List<String> uris,
      RebuildOptions rebuild) throws Exception {
    create(uris.subList(0, 1), rebuild);
    fill();
    CompletableFuture<RebuildRecord> done = nexus.addChild(uris.get(1));
    waitFor(() -> stats(uris.get(1)).blocksRecovered() > 0, "progress");
    return done;
  }

  @Test
  void pauseResumeAndStatisticsOfAFullRebuild() throws Exception {
    List<String> uris = kids.make("a", "b", "c");
    create(uris.subList(0, 2), new RebuildOptions(4, 8L << 20));
    fill();
    CompletableFuture<RebuildRecord> done = nexus.addChild(uris.get(2));
    String c = uris.get(2);
    assertEquals(ChildState.degraded(ChildState.DegradedReason.OUT_OF_SYNC), nexus.childState(c));
    waitFor(() -> stats(c).blocksRecovered() > 0, "progress");
    nexus.pauseRebuild(c);
    assertEquals(RebuildState.PAUSED, nexus.rebuildState(c));
    waitFor(() -> stats(c).tasksActive() == 0, "tasks to drain");
    long atPause = stats(c).blocksRecovered();
    Thread.sleep(100);
    assertEquals(atPause, stats(c).blocksRecovered(), "no progress while paused");
    assertThrows(BdevException.class, () -> nexus.pauseRebuild(c));
    nexus.resumeRebuild(c);
    RebuildRecord rec = done.get(10, TimeUnit.SECONDS);
    assertEquals(RebuildState.COMPLETED, rec.state());
    assertEquals(SIZE / 512, rec.stats().blocksTotal());
    assertEquals(SIZE / 512, rec.stats().blocksRecovered());
    assertEquals(0, rec.stats().blocksRemaining());
    assertEquals(100, rec.stats().percent());
    assertTrue(rec.stats().bytesPerSecond() > 0);
    assertEquals(ChildState.ONLINE, nexus.childState(c));
    assertArrayEquals(kids.content(uris.get(0)), kids.content(c));
    assertEquals(List.of(rec), nexus.rebuildHistory());
  }

  @Test
  void aRateCapLiftedWhileTheRebuildRunsTakesEffectOnTheRunningJob() throws Exception {
    List<String> uris = kids.make("a", "b");
    String b = uris.get(1);
    // capped at 1 MiB/s, the 4 MiB copy would take 4 s
    CompletableFuture<RebuildRecord> done = rebuildingSecondChild(uris, new RebuildOptions(4, 1L << 20));
    assertTrue(stats(b).percent() < 50, "capped: " + stats(b));
    long lifted = System.nanoTime();
    nexus.setRebuildOptions(new RebuildOptions(RebuildOptions.MAX_TASKS, 0));
    RebuildRecord rec = done.get(10, TimeUnit.SECONDS);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lifted);
    assertEquals(RebuildState.COMPLETED, rec.state());
    assertTrue(millis < 2_000, "the rest took " + millis + " ms once uncapped");
    assertEquals(0, nexus.rebuildOptions().bytesPerSecond());
    assertArrayEquals(kids.content(uris.get(0)), kids.content(b));
  }

  @Test
  void aStoppedRebuildKeepsWhatIsLeftMarkedAndOnlineChildFinishesIt() throws Exception {
    List<String> uris = kids.make("a", "b");
    String b = uris.get(1);
    CompletableFuture<RebuildRecord> first = rebuildingSecondChild(uris, new RebuildOptions(2, 4L << 20));
    nexus.stopRebuild(b);
    RebuildRecord stopped = first.get(10, TimeUnit.SECONDS);
    assertEquals(RebuildState.STOPPED, stopped.state());
    assertEquals(ChildState.degraded(ChildState.DegradedReason.OUT_OF_SYNC), nexus.childState(b));
    long left = nexus.children().get(1).dirtyBlocks();
    assertTrue(left > 0 && left < SIZE / 512, "left " + left);
    SyncIo.write(nexus, 0, filled(4096, (byte) 0x5a)); // reaches b: it is in the write set
    nexus.setRebuildOptions(RebuildOptions.DEFAULT);
    RebuildRecord rest = nexus.onlineChild(b).get(10, TimeUnit.SECONDS);
    assertEquals(RebuildState.COMPLETED, rest.state());
    assertTrue(rest.stats().blocksTotal() <= left, rest.stats() + " vs " + left);
    assertArrayEquals(kids.content(uris.get(0)), kids.content(b));
    assertEquals(2, nexus.rebuildHistory().size());
  }

  @Test
  void aFailingDestinationEndsFaultedWhileFrontEndIoCarriesOn() throws Exception {
    List<String> uris = kids.make("a", "b", "c");
    create(uris.subList(0, 2), new RebuildOptions(4, 8L << 20));
    fill();
    String c = uris.get(2);
    CompletableFuture<RebuildRecord> done = nexus.addChild(c);
    AtomicReference<Throwable> frontEnd = new AtomicReference<>();
    Thread io = new Thread(() -> {
      ByteBuffer buf = filled(4096, (byte) 3);
      ByteBuffer back = filled(4096, (byte) 0);
      try {
        for (long off = 0; !done.isDone(); off = (off + 8192) % SIZE) {
          SyncIo.write(nexus, off, buf);
          SyncIo.read(nexus, off, back);
        }
      } catch (Throwable t) {
        frontEnd.set(t);
      }
    });
    io.start();
    waitFor(() -> stats(c).blocksRecovered() > 0, "progress");
    kids.inject(c).inject(Injection.always(IoType.WRITE));
    RebuildRecord rec = done.get(10, TimeUnit.SECONDS);
    io.join(5000);
    assertNull(frontEnd.get(), "front-end I/O failed");
    assertEquals(RebuildState.FAILED, rec.state());
    assertTrue(rec.cause().contains(c), rec.cause());
    assertEquals(ChildState.faulted(ChildState.FaultReason.REBUILD_FAILED), nexus.childState(c));
    assertEquals(NexusState.DEGRADED, nexus.state());
    assertArrayEquals(kids.content(uris.get(0)), kids.content(uris.get(1)));
  }

  @Test
  void aSourceDyingMidCopyIsReplacedByAnotherInSyncChild() throws Exception {
    List<String> uris = kids.make("a", "b", "c", "d");
    create(uris.subList(0, 3), new RebuildOptions(4, 8L << 20));
    fill();
    String d = uris.get(3);
    CompletableFuture<RebuildRecord> done = nexus.addChild(d);
    waitFor(() -> stats(d).blocksRecovered() > 0, "progress");
    String dying = uris.get(0);
    kids.inject(dying).inject(Injection.always(IoType.READ));
    ByteBuffer back = filled(65536, (byte) 0);
    while (!done.isDone()) {
      SyncIo.read(nexus, 0, back); // front-end reads keep working
    }
    RebuildRecord rec = done.get(10, TimeUnit.SECONDS);
    assertEquals(RebuildState.COMPLETED, rec.state());
    assertNotEquals(dying, rec.source());
    assertEquals(ChildState.ONLINE, nexus.childState(d));
    assertArrayEquals(kids.content(uris.get(1)), kids.content(d));
  }

  @Test
  void theOnlySourceDyingFailsTheRebuildAndKeepsTheSource() throws Exception {
    List<String> uris = kids.make("a", "b");
    create(uris.subList(0, 1), new RebuildOptions(2, 4L << 20));
    fill();
    String b = uris.get(1);
    CompletableFuture<RebuildRecord> done = nexus.addChild(b);
    waitFor(() -> stats(b).blocksRecovered() > 0, "progress");
    kids.inject(uris.get(0)).inject(Injection.always(IoType.READ));
    RebuildRecord rec = done.get(10, TimeUnit.SECONDS);
    assertEquals(RebuildState.FAILED, rec.state());
    assertTrue(rec.cause().contains("reading source " + uris.get(0)), rec.cause());
    assertEquals(ChildState.faulted(ChildState.FaultReason.REBUILD_FAILED), nexus.childState(b));
    assertEquals(ChildState.ONLINE, nexus.childState(uris.get(0)));
    SyncIo.write(nexus, 0, filled(4096, (byte) 1)); // writes still work
  }

  @Test
  void unallocatedClustersOfAThinSourceAreNotCopied() throws Exception {
    List<SparseDevice> sparse = new CopyOnWriteArrayList<>();
    kids = new Children(SIZE, 512).wrapping(dev -> {
      SparseDevice s = new SparseDevice(dev);
      sparse.add(s);
      return s;
    });
    List<String> uris = kids.make("a", "b");
    create(uris.subList(0, 1), RebuildOptions.DEFAULT);
    SyncIo.write(nexus, 3L * 65536, filled(4096, (byte) 1));
    SyncIo.write(nexus, 40L * 65536, filled(4096, (byte) 2));
    RebuildRecord rec = nexus.addChild(uris.get(1)).get(10, TimeUnit.SECONDS);
    assertEquals(RebuildState.COMPLETED, rec.state());
    assertEquals(2, sparse.get(1).allocatedClusters(), "only allocated clusters were written");
    assertArrayEquals(kids.content(uris.get(0)), kids.content(uris.get(1)));
  }

  @Test
  void aFrontEndWriteToTheSegmentBeingCopiedWaitsAndWins() throws Exception {
    List<HoldingDevice> held = new CopyOnWriteArrayList<>();
    kids = new Children(SIZE, 512).wrapping(dev -> {
      HoldingDevice h = new HoldingDevice(dev);
      held.add(h);
      return h;
    });
    List<String> uris = kids.make("a", "b");
    create(uris.subList(0, 1), new RebuildOptions(1, 0));
    SyncIo.write(nexus, 0, filled(4096, (byte) 1));
    HoldingDevice source = held.get(0);
    source.holdNextRead();
    CompletableFuture<RebuildRecord> done = nexus.addChild(uris.get(1));
    assertTrue(source.held.await(5, TimeUnit.SECONDS), "the copy of segment 0 read the source");
    CompletableFuture<BdevException> write = new CompletableFuture<>();
    nexus.write(0, filled(4096, (byte) 2), 0, 4096, write::complete);
    Thread.sleep(50);
    assertTrue(!write.isDone(), "the write waits while its segment is copied");
    source.release();
    assertNull(write.get(5, TimeUnit.SECONDS));
    assertEquals(RebuildState.COMPLETED, done.get(10, TimeUnit.SECONDS).state());
    assertEquals(2, kids.content(uris.get(1))[0], "the copy did not overwrite the newer write");
    assertArrayEquals(kids.content(uris.get(0)), kids.content(uris.get(1)));
  }

  @Test
  void aChildJoinsTheWriteSetOnlyOnceWritesInFlightHaveFinished() throws Exception {
    List<HoldingDevice> held = new CopyOnWriteArrayList<>();
    kids = new Children(SIZE, 512).wrapping(dev -> {
      HoldingDevice h = new HoldingDevice(dev);
      held.add(h);
      return h;
    });
    List<String> uris = kids.make("a", "b");
    create(uris, RebuildOptions.DEFAULT);
    String b = uris.get(1);
    nexus.faultChild(b);
    held.get(0).holdNextWrite();
    CompletableFuture<BdevException> write = new CompletableFuture<>();
    nexus.write(5L * 65536, filled(4096, (byte) 6), 0, 4096, write::complete);
    assertTrue(held.get(0).held.await(5, TimeUnit.SECONDS));
    CompletableFuture<CompletableFuture<RebuildRecord>> online = CompletableFuture.supplyAsync(
        () -> {
          try {
            return nexus.onlineChild(b);
          } catch (BdevException e) {
            throw new CompletionException(e);
          }
        });
    Thread.sleep(50);
    assertTrue(!online.isDone(), "b must not join while a write that missed it is in flight");
    held.get(0).release();
    assertNull(write.get(5, TimeUnit.SECONDS));
    RebuildRecord rec = online.get(5, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
    assertEquals(RebuildState.COMPLETED, rec.state());
    assertEquals(65536 / 512, rec.stats().blocksTotal(), "only the segment b missed is copied");
    assertArrayEquals(kids.content(uris.get(0)), kids.content(b));
  }

  @Test
  void faultingTheDestinationByClientEndsTheRebuild() throws Exception {
    List<String> uris = kids.make("a", "b");
    create(uris.subList(0, 1), new RebuildOptions(1, 4L << 20));
    String b = uris.get(1);
    CompletableFuture<RebuildRecord> done = nexus.addChild(b);
    nexus.faultChild(b);
    RebuildRecord rec = done.get(10, TimeUnit.SECONDS);
    assertEquals(RebuildState.FAILED, rec.state());
    assertTrue(rec.cause().contains("faulted by client"), rec.cause());
    assertEquals(ChildState.faulted(ChildState.FaultReason.BY_CLIENT), nexus.childState(b));
    nexus.removeChild(b);
    assertEquals(NexusState.ONLINE, nexus.state());
  }

  @Test
  void aNexusSmallerThanItsChildrenWith4kBlocksRebuildsItsShortLastSegment() throws Exception {
    kids = new Children(SIZE, 4096);
    List<String> uris = kids.make("a", "b");
    long size = SIZE - 3 * 4096;
    nexus = Nexus.create("r4k", size, uris.subList(0, 1), kids.opener(), NexusOptions.defaults());
    assertEquals(4096, nexus.blockSize());
    SyncIo.write(nexus, size - 4096, filled(4096, (byte) 8));
    kids.plant(uris.get(1), size, (byte) 9, 4096); // beyond the nexus: never copied
    RebuildRecord rec = nexus.addChild(uris.get(1)).get(10, TimeUnit.SECONDS);
    assertEquals(size / 4096, rec.stats().blocksTotal());
    byte[] a = kids.content(uris.get(0));
    byte[] b = kids.content(uris.get(1));
    assertArrayEquals(Arrays.copyOf(a, (int) size), Arrays.copyOf(b, (int) size));
    assertEquals(8, b[(int) size - 1]);
    assertEquals(9, b[(int) size]);
  }

  @Test
  void aRebuildCompletesOnlyOnceTheDestinationFlushed() throws Exception {
    List<String> uris = kids.make("a", "b");
    create(uris.subList(0, 1), RebuildOptions.DEFAULT);
    String b = uris.get(1);
    nexus.addChild(b).get(10, TimeUnit.SECONDS);
    nexus.faultChild(b);
    kids.inject(b).inject(Injection.always(IoType.FLUSH));
    RebuildRecord rec = nexus.onlineChild(b).get(10, TimeUnit.SECONDS);
    assertEquals(RebuildState.FAILED, rec.state());
    assertTrue(rec.cause().contains("flushing destination"), rec.cause());
    assertEquals(ChildState.faulted(ChildState.FaultReason.REBUILD_FAILED), nexus.childState(b));
  }

  @Test
  void eventsReportTheRebuild() throws Exception {
    List<String> uris = kids.make("a", "b");
    create(uris.subList(0, 1), RebuildOptions.DEFAULT);
    List<NexusEvent> events = new CopyOnWriteArrayList<>();
    nexus.addListener(events::add);
    nexus.addChild(uris.get(1)).get(10, TimeUnit.SECONDS);
    assertTrue(events.stream().anyMatch(e -> e instanceof NexusEvent.RebuildStarted s
        && s.blocks() == SIZE / 512 && !s.partial()));
    assertTrue(events.stream().anyMatch(e -> e instanceof NexusEvent.RebuildFinished f
        && f.record().state() == RebuildState.COMPLETED));
    assertTrue(events.stream().anyMatch(e -> e instanceof NexusEvent.ChildStateChanged s
        && s.to().isOnline()));
    assertTrue(events.stream().anyMatch(e -> e instanceof NexusEvent.NexusStateChanged s
        && s.to() == NexusState.ONLINE));
  }
}
