package io.caspian.bdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IoCountersTest {

  private final IoCounters counters = new IoCounters();

  @Test
  void everyThreadsCountsAreSummedAndKeptAfterTheThreadEnded() throws Exception {
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      threads.add(new Thread(() -> {
        for (int n = 0; n < 10_000; n++) {
          IoCounters.Cell c = counters.cell(null);
          c.write(4096, n == 0 ? 3_000 : 0);
          c.read(512, 0);
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    IoStats ended = counters.snapshot();
    assertEquals(new IoStats(40_000, 40_000 * 512L, 0, 40_000, 40_000 * 4096L, 12), ended);
    // the ended threads' cells are folded by that scrape: the sums stay, later counts add to them
    counters.cell(null).write(1, 0);
    assertEquals(40_001, counters.snapshot().writeOps());
    assertEquals(40_000 * 4096L + 1, counters.snapshot().bytesWritten());
  }

  @Test
  void aScrapeWhileThreadsCountSeesOnlyGrowingSums() throws Exception {
    Thread writer = new Thread(() -> {
      IoCounters.Cell c = counters.cell(null);
      for (int n = 0; n < 200_000; n++) {
        c.write(1, 0);
      }
    });
    writer.start();
    long last = 0;
    while (writer.isAlive()) {
      long now = counters.snapshot().writeOps();
      assertEquals(true, now >= last, now + " after " + last);
      last = now;
    }
    writer.join();
    assertEquals(200_000, counters.snapshot().writeOps());
  }

  @Test
  void aCellKeptByAnIoContextIsReusedOnItsThreadOnly() throws Exception {
    IoCounters.Cell mine = counters.cell(null);
    assertSame(mine, counters.cell(mine));
    IoCounters.Cell[] other = new IoCounters.Cell[1];
    Thread t = new Thread(() -> other[0] = counters.cell(mine));
    t.start();
    t.join();
    assertEquals(false, other[0] == mine, "another thread gets its own cell");
  }
}
