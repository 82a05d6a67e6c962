package io.caspian.nvmf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Netty leak detection at {@code PARANOID} for codec tests: every buffer is tracked, and a leak
 * report (Netty logs it through java.util.logging here) fails the test that caused it.
 */
public final class LeakWatch {

  private static final Logger NETTY = Logger.getLogger(ResourceLeakDetector.class.getName());
  private final List<String> reports = new ArrayList<>();
  private final ResourceLeakDetector.Level previous = ResourceLeakDetector.getLevel();
  private final Handler handler = new Handler() {
    @Override
    public void publish(LogRecord r) {
      if (r.getMessage() != null && r.getMessage().contains("LEAK")) {
        synchronized (reports) {
          reports.add(r.getMessage());
        }
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  public LeakWatch() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    NETTY.addHandler(handler);
  }

  /** Collects garbage, lets the detector look, and fails if it reported a leak. */
  public void check() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(20);
      // The detector reports while tracking new buffers.
      for (int j = 0; j < 32; j++) {
        ByteBufAllocator.DEFAULT.directBuffer(16).release();
        ByteBufAllocator.DEFAULT.heapBuffer(16).release();
      }
    }
    NETTY.removeHandler(handler);
    // Other tests in this JVM measure speed and allocation; paranoid tracking would skew them.
    ResourceLeakDetector.setLevel(previous);
    synchronized (reports) {
      assertEquals(List.of(), reports, "Netty reported leaked buffers");
    }
  }
}
