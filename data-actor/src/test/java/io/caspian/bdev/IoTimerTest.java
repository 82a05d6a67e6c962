package io.caspian.bdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class IoTimerTest {

  private final IoCounters counters = new IoCounters();
  private final IoTimer timer = new IoTimer(counters, 2);

  @Test
  void aSuccessfulIoIsCountedOnceWithItsLatencyThenItsCallerCompleted() throws Exception {
    List<BdevException> seen = new ArrayList<>();
    IoCompletion write = timer.start(IoType.WRITE, 4096, e -> {
      // the caller runs after the count: a scrape it triggers sees its own I/O
      assertEquals(1, counters.snapshot().writeOps());
      seen.add(e);
    });
    Thread.sleep(20);
    write.ioDone(null);
    timer.start(IoType.READ, 512, seen::add).ioDone(null);
    IoStats s = counters.snapshot();
    assertEquals(new IoStats(1, 512, s.readLatencyUs(), 1, 4096, s.writeLatencyUs()), s);
    assertTrue(s.writeLatencyUs() >= 20_000 && s.writeLatencyUs() < 20_000_000, s.toString());
    assertEquals(2, seen.size());
    assertEquals(null, seen.get(0));
  }

  @Test
  void aContextsFirstUseIsTimedThenOneInSixtyFourStandingForTheOthers() throws Exception {
    assertEquals(64, IoCounters.TIMED_EVERY);
    assertEquals(List.of(1, 0, 0, 64, 0, 64), List.of(IoCounters.timingWeight(1),
        IoCounters.timingWeight(2), IoCounters.timingWeight(64), IoCounters.timingWeight(65),
        IoCounters.timingWeight(66), IoCounters.timingWeight(129)));
    // one I/O at a time: always the same context; only the 65th is slow
    for (int i = 1; i <= 70; i++) {
      IoCompletion c = timer.start(IoType.WRITE, 512, e -> { });
      if (i == 65) {
        Thread.sleep(20);
      }
      c.ioDone(null);
    }
    timer.start(IoType.READ, 512, e -> { }).ioDone(null);
    IoStats s = counters.snapshot();
    assertEquals(1, s.readOps(), "the context's first read is timed after 70 writes: " + s);
    assertEquals(70, s.writeOps());
    assertEquals(70 * 512, s.bytesWritten());
    assertTrue(s.writeLatencyUs() >= 64 * 20_000 && s.writeLatencyUs() < 60_000_000,
        "the 65th stands for the 64 since the first: " + s);
  }

  @Test
  void contextsFreedOnAnotherThreadComeBackInBatchesWithoutMakingMore() throws Exception {
    IoTimer pool = new IoTimer(counters, 1024);
    List<IoCompletion> seen = new ArrayList<>();
    ExecutorService completer = Executors.newSingleThreadExecutor();
    try {
      // started here, completed there, one at a time: the completer keeps what it freed until it
      // holds SPILL, then hands them over, and this thread takes those back
      for (int i = 0; i < 10 * IoTimer.SPILL; i++) {
        IoCompletion c = pool.start(IoType.WRITE, 4096, e -> { });
        seen.add(c);
        completer.submit(() -> c.ioDone(null)).get();
      }
    } finally {
      completer.shutdown();
    }
    assertEquals(10 * IoTimer.SPILL, counters.snapshot().writeOps());
    long distinct = seen.stream().map(System::identityHashCode).distinct().count();
    assertTrue(distinct <= 2 * IoTimer.SPILL, distinct + " contexts for one I/O in flight at a time");
  }

  @Test
  void theContextsLeftWithAThreadThatEndedAreTakenBackAtTheCapacity() throws Exception {
    IoTimer pool = new IoTimer(counters, 4);
    List<IoCompletion> made = new ArrayList<>();
    Thread t = new Thread(() -> {
      for (int i = 0; i < 4; i++) {
        made.add(pool.start(IoType.READ, 1, e -> { }));
      }
      made.forEach(c -> c.ioDone(null));
    });
    t.start();
    t.join();
    // all four sit in the ended thread's list: the pool takes them back instead of making more
    for (int i = 0; i < 4; i++) {
      assertTrue(made.contains(pool.start(IoType.READ, 1, e -> { })), "context " + i);
    }
    assertEquals(4, counters.snapshot().readOps());
  }

  @Test
  void aFailedIoReachesItsCallerUncounted() {
    List<BdevException> seen = new ArrayList<>();
    BdevException err = BdevException.io(BdevException.Kind.IO_ERROR, "malloc:///x", "boom");
    timer.start(IoType.READ, 4096, seen::add).ioDone(err);
    assertEquals(List.of(err), seen);
    assertEquals(IoStats.ZERO, counters.snapshot());
  }

  @Test
  void contextsAreReusedUpToTheCapacityAndMadeForOneIoPastIt() {
    IoCompletion a = timer.start(IoType.WRITE, 1, e -> { });
    IoCompletion b = timer.start(IoType.WRITE, 1, e -> { });
    IoCompletion c = timer.start(IoType.WRITE, 1, e -> { });
    c.ioDone(null);
    b.ioDone(null);
    a.ioDone(null);
    // a and b went back to the pool, c (past the capacity of 2) did not
    IoCompletion next = timer.start(IoType.READ, 1, e -> { });
    IoCompletion after = timer.start(IoType.READ, 1, e -> { });
    assertSame(a, next);
    assertSame(b, after);
    assertNotSame(c, timer.start(IoType.READ, 1, e -> { }));
    assertEquals(3, counters.snapshot().writeOps());
  }
}
