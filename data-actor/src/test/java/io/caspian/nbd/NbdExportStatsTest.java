package io.caspian.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.caspian.bdev.MallocDevice;
import java.io.IOException;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The connections and queue depth a scrape reads follow clients and their requests, both ways. */
class NbdExportStatsTest {

  private NbdServer server;
  private MallocDevice mem;
  private ManualDevice device;

  @BeforeEach
  void start() throws IOException {
    mem = new MallocDevice("malloc:///nbd-stats", 4 << 20, 512);
    device = new ManualDevice(mem);
    server = NbdServer.start("127.0.0.1", 0);
    server.export("disk", device, false);
    server.export("idle", new MallocDevice("malloc:///nbd-idle", 1 << 20, 512), true);
  }

  @AfterEach
  void stop() {
    device.completeAll();
    server.close();
    mem.close();
  }

  @Test
  void connectionsAndRequestsInFlightGoUpAndBackDown() throws Exception {
    assertEquals(List.of(new NbdExportStats("disk", 0, 0), new NbdExportStats("idle", 0, 0)),
        server.exportStats());
    NbdTestClient a = new NbdTestClient(server.address(), "disk");
    try (NbdTestClient b = new NbdTestClient(server.address(), "disk")) {
      awaitDisk(s -> s.connections() == 2 && s.inFlight() == 0, "two idle connections");
      for (int i = 0; i < 3; i++) {
        a.send(Nbd.CMD_READ, 0, i, i * 4096L, 4096, null);
      }
      b.send(Nbd.CMD_WRITE, 0, 9, 0, 4096, new byte[4096]);
      a.flush();
      b.flush();
      awaitDisk(s -> s.inFlight() == 4, "three reads and a write received");
      // A request counts as in flight once received, before the device holds its completion.
      awaitHeld(4);
      device.completeAll();
      for (int i = 0; i < 3; i++) {
        assertEquals(0, a.reply().error());
      }
      assertEquals(0, b.reply().error());
      awaitDisk(s -> s.connections() == 2 && s.inFlight() == 0, "all answered");
      a.close();
      awaitDisk(s -> s.connections() == 1, "a disconnected");
    }
    awaitDisk(s -> s.connections() == 0, "both disconnected");
    assertEquals(new NbdExportStats("idle", 0, 0), server.exportStats().get(1));
  }

  /** Waits (at most 10 s) until the device holds {@code n} completions. */
  private void awaitHeld(int n) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (device.pending() < n) {
      if (System.nanoTime() > deadline) {
        fail("the device holds " + device.pending() + " completions, not " + n);
      }
      Thread.sleep(10);
    }
  }

  /** Waits (at most 10 s) until the export "disk" reads as {@code ok}: connections close asynchronously. */
  private void awaitDisk(Predicate<NbdExportStats> ok, String what) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    NbdExportStats s;
    while (!ok.test(s = server.exportStats().get(0))) {
      if (System.nanoTime() > deadline) {
        fail(what + ": still " + s);
      }
      Thread.sleep(10);
    }
  }
}
