package io.caspian.bdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
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
  void aContextsFirstUseIsTimedThenOneInSixteenStandingForTheOthers() throws Exception {
    assertEquals(List.of(1, 0, 0, 16, 0, 16), List.of(IoCounters.timingWeight(1),
        IoCounters.timingWeight(2), IoCounters.timingWeight(16), IoCounters.timingWeight(17),
        IoCounters.timingWeight(18), IoCounters.timingWeight(33)));
    // one I/O at a time: always the same context; only the 17th is slow
    for (int i = 1; i <= 20; i++) {
      IoCompletion c = timer.start(IoType.WRITE, 512, e -> { });
      if (i == 17) {
        Thread.sleep(20);
      }
      c.ioDone(null);
    }
    timer.start(IoType.READ, 512, e -> { }).ioDone(null);
    IoStats s = counters.snapshot();
    assertEquals(1, s.readOps(), "the context's first read is timed after 20 writes: " + s);
    assertEquals(20, s.writeOps());
    assertEquals(20 * 512, s.bytesWritten());
    assertTrue(s.writeLatencyUs() >= 16 * 20_000 && s.writeLatencyUs() < 20_000_000,
        "the 17th stands for the 16 since the first: " + s);
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
