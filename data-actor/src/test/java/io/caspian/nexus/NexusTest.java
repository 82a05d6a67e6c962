package io.caspian.nexus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.ErrorInjectionDevice;
import io.caspian.bdev.Injection;
import io.caspian.bdev.IoType;
import io.caspian.bdev.SyncIo;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NexusTest {

  private static final long SIZE = 4 << 20;
  private final Children kids = new Children(SIZE, 512);
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final List<NexusEvent> events = new CopyOnWriteArrayList<>();
  private Nexus nexus;

  private Nexus create(List<String> uris) throws BdevException {
    nexus = Nexus.create("n1", SIZE, uris, kids.opener(),
        NexusOptions.defaults().withClock(clock::get));
    nexus.addListener(events::add);
    return nexus;
  }

  @AfterEach
  void close() {
    if (nexus != null) {
      nexus.close();
    }
  }

  /** {@code len} bytes of {@code v} (position 0, limit len) in a 4 KiB-aligned buffer. */
  static ByteBuffer filled(int len, byte v) {
    ByteBuffer b = buffer(len);
    for (int i = 0; i < len; i++) {
      b.put(i, v);
    }
    return b;
  }

  /** A 4 KiB-aligned buffer whose remaining bytes are {@code len}. */
  static ByteBuffer buffer(int len) {
    return DirectMemory.allocate((len + 4095) & ~4095).limit(len);
  }

  @Test
  void writesReachEveryChildAndReadsComeBack() throws Exception {
    List<String> uris = kids.make("a", "b", "c");
    create(uris);
    assertEquals(NexusState.ONLINE, nexus.state());
    SyncIo.write(nexus, 8192, filled(4096, (byte) 5));
    SyncIo.flush(nexus);
    SyncIo.writeZeroes(nexus, 8192, 512);
    ByteBuffer back = DirectMemory.allocate(4096);
    for (int i = 0; i < 6; i++) {
      SyncIo.read(nexus, 8192, back);
      assertEquals(0, back.get(0));
      assertEquals(5, back.get(512));
    }
    for (String u : uris) {
      assertArrayEquals(kids.content(uris.get(0)), kids.content(u));
    }
  }

  @Test
  void badRequestsAndCreationErrorsAreReportedClearly() throws Exception {
    List<String> uris = kids.make("a", "b");
    BdevException small = assertThrows(BdevException.class, () -> Nexus.create("n2", SIZE * 2,
        uris, kids.opener(), NexusOptions.defaults()));
    assertTrue(small.getMessage().contains("less than the nexus size"), small.getMessage());
    BdevException missing = assertThrows(BdevException.class, () -> Nexus.create("n2", SIZE,
        List.of(uris.get(0), "bdev:///nope"), kids.opener(), NexusOptions.defaults()));
    assertTrue(missing.getMessage().contains("bdev:///nope"), missing.getMessage());
    create(uris);
    BdevException e = assertThrows(BdevException.class,
        () -> SyncIo.write(nexus, SIZE, filled(512, (byte) 1)));
    assertEquals(BdevException.Kind.OUT_OF_RANGE, e.kind());
  }

  @Test
  void aFailedReadIsServedByAnotherChild() throws Exception {
    List<String> uris = kids.make("a", "b", "c");
    create(uris);
    SyncIo.write(nexus, 0, filled(4096, (byte) 9));
    ErrorInjectionDevice b = kids.inject(uris.get(1));
    b.inject(Injection.always(IoType.READ));
    ByteBuffer back = DirectMemory.allocate(4096);
    for (int i = 0; i < 10; i++) {
      SyncIo.read(nexus, 0, back);
      assertEquals(9, back.get(4095));
    }
    assertTrue(b.injectedCount() >= 3, "round-robin reached the failing child");
    assertEquals(ChildState.ONLINE, nexus.childState(uris.get(1)));
  }

  @Test
  void sixtyFourErrorsInsideTheWindowFaultTheChild() throws Exception {
    List<String> uris = kids.make("a", "b", "c");
    create(uris);
    ErrorInjectionDevice b = kids.inject(uris.get(1));
    b.inject(Injection.always(IoType.READ));
    ByteBuffer back = buffer(512);
    while (b.injectedCount() < 63) {
      SyncIo.read(nexus, 0, back);
    }
    assertEquals(ChildState.ONLINE, nexus.childState(uris.get(1)));
    assertEquals(63, nexus.errorCounts(uris.get(1)).counted());
    while (b.injectedCount() < 64) {
      SyncIo.read(nexus, 0, back);
    }
    assertEquals(ChildState.faulted(ChildState.FaultReason.IO_ERROR),
        nexus.childState(uris.get(1)));
    assertEquals(NexusState.DEGRADED, nexus.state());
    long before = b.injectedCount();
    for (int i = 0; i < 20; i++) {
      SyncIo.read(nexus, 0, back);
    }
    assertEquals(before, b.injectedCount(), "a faulted child is out of the read path");
    long reports = events.stream().filter(e -> e instanceof NexusEvent.ErrorCountsReported).count();
    assertTrue(reports <= 3, "error counts are reported per change, not per I/O: " + reports);
    assertTrue(events.stream().anyMatch(e -> e instanceof NexusEvent.ChildStateChanged c
        && c.child().equals(uris.get(1)) && c.to().equals(
            ChildState.faulted(ChildState.FaultReason.IO_ERROR))));
  }

  @Test
  void sixtyFourErrorsSpreadOverALongerTimeDoNotFault() throws Exception {
    List<String> uris = kids.make("a", "b", "c");
    create(uris);
    ErrorInjectionDevice b = kids.inject(uris.get(1));
    b.inject(Injection.always(IoType.READ));
    ByteBuffer back = buffer(512);
    long seen = 0;
    while (b.injectedCount() < 200) {
      SyncIo.read(nexus, 0, back);
      if (b.injectedCount() > seen) {
        seen = b.injectedCount();
        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(200)); // 50 per 10 s window at most
      }
    }
    assertEquals(ChildState.ONLINE, nexus.childState(uris.get(1)));
    assertTrue(nexus.errorCounts(uris.get(1)).counted() <= 50);
  }

  @Test
  void thresholdWindowAndCountedTypesAreSettableAtRunTime() throws Exception {
    List<String> uris = kids.make("a", "b", "c");
    create(uris);
    nexus.setErrorPolicy(nexus.errorPolicy().withThreshold(3).withCounted(
        Set.of(IoType.WRITE)));
    ErrorInjectionDevice b = kids.inject(uris.get(1));
    b.inject(Injection.always(IoType.READ));
    ByteBuffer back = buffer(512);
    while (b.injectedCount() < 10) {
      SyncIo.read(nexus, 0, back);
    }
    assertEquals(ChildState.ONLINE, nexus.childState(uris.get(1)), "reads do not count");
    nexus.setErrorPolicy(nexus.errorPolicy().withCounted(Set.of(IoType.READ))
        .withWindow(Duration.ofMillis(100)));
    clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
    while (b.injectedCount() < 13) {
      SyncIo.read(nexus, 0, back);
    }
    assertEquals(ChildState.faulted(ChildState.FaultReason.IO_ERROR),
        nexus.childState(uris.get(1)));
  }

  @Test
  void aFailedWriteTakesTheChildOutOfTheReadSetAtOnce() throws Exception {
    List<String> uris = kids.make("a", "b", "c");
    create(uris);
    String b = uris.get(1);
    SyncIo.write(nexus, 65536, filled(4096, (byte) 1));
    kids.inject(b).inject(Injection.always(IoType.WRITE));
    SyncIo.write(nexus, 65536, filled(4096, (byte) 2)); // acknowledged: a and c have it
    assertEquals(ChildState.faulted(ChildState.FaultReason.IO_ERROR), nexus.childState(b));
    kids.inject(b).clearAll();
    assertEquals(1, kids.content(b)[65536], "b really holds the old data");
    ByteBuffer back = DirectMemory.allocate(4096);
    for (int i = 0; i < 30; i++) {
      SyncIo.read(nexus, 65536, back);
      assertEquals(2, back.get(0), "no read returns b's old data");
    }
    // Writes b misses while away are marked; bringing it back copies only those segments.
    SyncIo.write(nexus, 10L * 65536, filled(512, (byte) 3));
    var rec = nexus.onlineChild(b).get(10, TimeUnit.SECONDS);
    assertEquals(io.caspian.rebuild.RebuildState.COMPLETED, rec.state());
    assertTrue(rec.partial());
    assertEquals(2 * 65536 / 512, rec.stats().blocksTotal());
    assertEquals(ChildState.ONLINE, nexus.childState(b));
    assertArrayEquals(kids.content(uris.get(0)), kids.content(b));
    assertEquals(NexusState.ONLINE, nexus.state());
  }

  @Test
  void aWriteFailingOnEveryChildFailsForTheCaller() throws Exception {
    List<String> uris = kids.make("a", "b");
    create(uris);
    for (String u : uris) {
      kids.inject(u).inject(Injection.always(IoType.WRITE));
    }
    assertThrows(BdevException.class, () -> SyncIo.write(nexus, 0, filled(512, (byte) 1)));
    long online = nexus.children().stream().filter(c -> c.state().isOnline()).count();
    assertEquals(1, online, "the last in-sync child stays so the volume remains readable");
    for (String u : uris) {
      kids.inject(u).inject(Injection.always(IoType.READ));
    }
    BdevException e = assertThrows(BdevException.class,
        () -> SyncIo.read(nexus, 0, buffer(512)));
    assertTrue(e.getMessage().contains("every in-sync child"), e.getMessage());
  }

  @Test
  void aFailedFlushFaultsTheChildAndMarksEverything() throws Exception {
    List<String> uris = kids.make("a", "b");
    create(uris);
    kids.inject(uris.get(0)).inject(Injection.always(IoType.FLUSH));
    SyncIo.flush(nexus);
    ChildInfo a = nexus.children().get(0);
    assertEquals(ChildState.faulted(ChildState.FaultReason.IO_ERROR), a.state());
    assertEquals(SIZE / 512, a.dirtyBlocks());
  }

  @Test
  void childrenComeAndGoWhileIoRuns() throws Exception {
    List<String> uris = kids.make("a", "b", "c", "d");
    create(uris.subList(0, 2));
    Thread writer = new Thread(() -> {
      ByteBuffer buf = filled(4096, (byte) 7);
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
      long off = 0;
      while (System.nanoTime() < end) {
        try {
          SyncIo.write(nexus, off, buf);
          off = (off + 4096) % SIZE;
        } catch (BdevException e) {
          throw new AssertionError(e);
        }
      }
    });
    writer.start();
    nexus.addChild(uris.get(2)).get(10, TimeUnit.SECONDS);
    nexus.removeChild(uris.get(0));
    nexus.addChild(uris.get(3)).get(10, TimeUnit.SECONDS);
    writer.join();
    assertEquals(List.of(uris.get(1), uris.get(2), uris.get(3)),
        nexus.children().stream().map(ChildInfo::uri).toList());
    assertEquals(NexusState.ONLINE, nexus.state());
    assertArrayEquals(kids.content(uris.get(1)), kids.content(uris.get(2)));
    assertArrayEquals(kids.content(uris.get(1)), kids.content(uris.get(3)));
    assertEquals(2, nexus.rebuildHistory().size());
  }

  @Test
  void theLastInSyncChildCannotBeRemovedOrFaulted() throws Exception {
    List<String> uris = kids.make("a", "b");
    create(uris);
    nexus.faultChild(uris.get(0));
    assertEquals(ChildState.faulted(ChildState.FaultReason.BY_CLIENT),
        nexus.childState(uris.get(0)));
    BdevException e = assertThrows(BdevException.class, () -> nexus.removeChild(uris.get(1)));
    assertTrue(e.getMessage().contains("last in-sync child"), e.getMessage());
    assertThrows(BdevException.class, () -> nexus.faultChild(uris.get(1)));
    nexus.removeChild(uris.get(0));
    assertEquals(NexusState.ONLINE, nexus.state());
    BdevException dup = assertThrows(BdevException.class, () -> nexus.addChild(uris.get(1)));
    assertTrue(dup.getMessage().contains("already a child"), dup.getMessage());
  }

  @Test
  void aClosedChildIsReopenedAndCaughtUp() throws Exception {
    List<String> uris = kids.make("a", "b");
    create(uris);
    nexus.closeChild(uris.get(1));
    assertEquals(ChildState.degraded(ChildState.DegradedReason.CLOSED),
        nexus.childState(uris.get(1)));
    SyncIo.write(nexus, 0, filled(4096, (byte) 4));
    assertFalse(kids.content(uris.get(1))[0] == 4);
    nexus.onlineChild(uris.get(1)).get(10, TimeUnit.SECONDS);
    assertEquals(ChildState.ONLINE, nexus.childState(uris.get(1)));
    assertArrayEquals(kids.content(uris.get(0)), kids.content(uris.get(1)));
  }
}
