package io.caspian.rebuild;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RangeGateTest {

  private static final int SEG = 65536;
  private final RangeGate gate = new RangeGate(SEG, 8);
  private final List<String> log = new ArrayList<>();

  private final class Writer extends RangeGate.Waiter {
    final String name;
    final long off;
    final long len;
    boolean inside;

    Writer(String name, long off, long len) {
      this.name = name;
      this.off = off;
      this.len = len;
    }

    boolean enter() {
      inside = gate.enterWrite(off, len, this);
      if (inside) {
        log.add(name + " in");
      }
      return inside;
    }

    void exit() {
      log.add(name + " out");
      gate.exitWrite(off, len);
    }

    @Override
    protected void gateOpened() {
      enter();
    }
  }

  private final class Copier extends RangeGate.Locker {
    boolean locked;

    @Override
    protected void locked() {
      locked = true;
      log.add("locked");
    }

    @Override
    protected void gateOpened() {
      log.add("retry");
    }
  }

  @Test
  void lockWaitsForWritesInsideAndQueuesNewOnesUntilUnlock() {
    Writer a = new Writer("a", 0, 4096);
    assertTrue(a.enter());
    Copier c = new Copier();
    gate.lock(gate.stripeOf(0), c);
    assertFalse(c.locked, "a write is still inside the segment");
    Writer b = new Writer("b", 8192, 4096);
    assertFalse(b.enter(), "a new write to a locked segment must wait");
    Writer other = new Writer("other", SEG, 4096);
    assertTrue(other.enter(), "other segments carry on");
    a.exit();
    assertTrue(c.locked);
    gate.unlock(gate.stripeOf(0));
    assertTrue(b.inside, "the queued write ran on unlock");
    assertEquals(List.of("a in", "other in", "a out", "locked", "b in"), log);
  }

  @Test
  void aWriteSpanningALockedStripeLeavesTheOthersItEntered() {
    Copier c = new Copier();
    gate.lock(1, c);
    assertTrue(c.locked);
    Writer wide = new Writer("wide", 0, 3L * SEG);
    assertFalse(wide.enter());
    Copier c0 = new Copier();
    gate.lock(0, c0);
    assertTrue(c0.locked, "the waiting wide write holds nothing");
    gate.unlock(0);
    gate.unlock(1);
    assertTrue(wide.inside);
  }

  @Test
  void lockAllRunsWhenEveryWriteHasLeftAndThenBlocksAll() {
    Writer a = new Writer("a", 5L * SEG, 4096);
    assertTrue(a.enter());
    AtomicInteger ran = new AtomicInteger();
    gate.lockAll(ran::incrementAndGet);
    assertEquals(0, ran.get());
    a.exit();
    assertEquals(1, ran.get());
    Writer b = new Writer("b", 0, 4096);
    assertFalse(b.enter());
    gate.unlockAll();
    assertTrue(b.inside);
  }

  @Test
  void concurrentWritersAndLockersNeverOverlap() throws Exception {
    RangeGate g = new RangeGate(SEG, 4);
    AtomicLong inside = new AtomicLong();
    AtomicInteger violations = new AtomicInteger();
    AtomicInteger copies = new AtomicInteger();
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      threads.add(new Thread(() -> {
        CountDownLatch[] open = new CountDownLatch[1];
        RangeGate.Waiter w = new RangeGate.Waiter() {
          @Override
          protected void gateOpened() {
            open[0].countDown();
          }
        };
        while (System.nanoTime() < end) {
          open[0] = new CountDownLatch(1);
          while (!g.enterWrite(0, 4096, w)) {
            try {
              open[0].await();
            } catch (InterruptedException e) {
              return;
            }
            open[0] = new CountDownLatch(1);
          }
          if (inside.getAndIncrement() < 0) {
            violations.incrementAndGet();
          }
          inside.decrementAndGet();
          g.exitWrite(0, 4096);
        }
      }));
    }
    threads.add(new Thread(() -> {
      while (System.nanoTime() < end) {
        CountDownLatch got = new CountDownLatch(1);
        g.lock(0, new RangeGate.Locker() {
          @Override
          protected void locked() {
            got.countDown();
          }

          @Override
          protected void gateOpened() {}
        });
        try {
          got.await();
        } catch (InterruptedException e) {
          return;
        }
        if (!inside.compareAndSet(0, Long.MIN_VALUE)) {
          violations.incrementAndGet();
        }
        copies.incrementAndGet();
        inside.set(0);
        g.unlock(0);
      }
    }));
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join(5000);
    }
    assertEquals(0, violations.get());
    assertTrue(copies.get() > 0);
  }
}
