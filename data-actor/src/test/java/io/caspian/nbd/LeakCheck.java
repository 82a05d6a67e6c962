package io.caspian.nbd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Netty leak detection at PARANOID that fails the test instead of only logging: the ByteBuf leak
 * detector gets a listener that records every report.
 */
final class LeakCheck {

  private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
  private static boolean installed;

  private LeakCheck() {}

  static synchronized void install() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    if (installed) {
      return;
    }
    try {
      Field f = AbstractByteBuf.class.getDeclaredField("leakDetector");
      f.setAccessible(true);
      ResourceLeakDetector<?> detector = (ResourceLeakDetector<?>) f.get(null);
      detector.setLeakListener((type, records) -> LEAKS.add(type + " leaked:\n" + records));
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("cannot hook Netty's ByteBuf leak detector", e);
    }
    installed = true;
  }

  /** Collects garbage until unreleased buffers have surely been reported, then asserts none. */
  static void assertNoLeaks() throws InterruptedException {
    List<String> found = collect();
    assertTrue(found.isEmpty(), () -> found.size() + " ByteBuf leak(s); first: " + found.get(0));
  }

  /** Forces a leak report pass and returns (and forgets) what was reported. */
  static List<String> collect() throws InterruptedException {
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(20);
      // The detector polls its reference queue when it tracks a new buffer.
      ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(8);
      probe.release();
      ByteBuf heap = Unpooled.directBuffer(8);
      heap.release();
    }
    List<String> found = List.copyOf(LEAKS);
    LEAKS.clear();
    return found;
  }
}
