package io.caspian.nvmf.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.ForwardingDevice;
import io.caspian.bdev.IoCompletion;
import io.caspian.bdev.MallocDevice;
import io.caspian.nvmf.Nvme;
import io.caspian.nvmf.host.NvmfDevice;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The connections and queue depth a scrape reads follow hosts' queues and commands, both ways. */
class SubsystemStatsTest {

  private MallocDevice backing;
  private HoldingDevice device;
  private NvmfTarget target;
  private String nqn;

  @BeforeEach
  void start() throws Exception {
    backing = new MallocDevice("malloc:///nvmf-stats", 4 << 20, 512);
    device = new HoldingDevice(backing);
    target = NvmfTarget.bind("127.0.0.1", 0);
    nqn = Nvme.nqnFor(UUID.randomUUID());
    target.addSubsystem(nqn, device, Set.of());
  }

  @AfterEach
  void stop() {
    device.release();
    target.close();
    backing.close();
  }

  @Test
  void connectionsAndCommandsInFlightGoUpAndBackDown() throws Exception {
    assertEquals(List.of(new SubsystemStats(nqn, 0, 0)), target.subsystemStats());
    NvmfDevice host = NvmfDevice.open("nvmf://127.0.0.1:" + target.port() + "/" + nqn
        + "?io_queues=2&queue_depth=8");
    try {
      await(s -> s.connections() == 3 && s.inFlight() == 0, "the admin queue and two I/O queues");
      device.hold();
      ByteBuffer buf = DirectMemory.allocate(3 * 4096);
      List<CompletableFuture<BdevException>> reads = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        CompletableFuture<BdevException> f = new CompletableFuture<>();
        reads.add(f);
        host.read(i * 4096L, buf, i * 4096, 4096, f::complete);
      }
      await(s -> s.inFlight() == 3, "three reads held by the device");
      device.release();
      for (CompletableFuture<BdevException> f : reads) {
        assertNull(f.get(10, TimeUnit.SECONDS));
      }
      await(s -> s.connections() == 3 && s.inFlight() == 0, "all answered");
    } finally {
      host.close();
    }
    await(s -> s.connections() == 0, "the host disconnected");
  }

  /** Waits (at most 10 s) until the subsystem reads as {@code ok}: queues close asynchronously. */
  private void await(Predicate<SubsystemStats> ok, String what) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    SubsystemStats s;
    while (!ok.test(s = target.subsystemStats().get(0))) {
      if (System.nanoTime() > deadline) {
        fail(what + ": still " + s);
      }
      Thread.sleep(10);
    }
  }

  /** Holds reads from {@link #hold()} until {@link #release()}. */
  private static final class HoldingDevice extends ForwardingDevice {
    private final List<Runnable> held = new ArrayList<>();
    private boolean holding;

    HoldingDevice(BlockDevice inner) {
      super(inner);
    }

    synchronized void hold() {
      holding = true;
    }

    void release() {
      List<Runnable> run;
      synchronized (this) {
        holding = false;
        run = new ArrayList<>(held);
        held.clear();
      }
      run.forEach(Runnable::run);
    }

    @Override
    public void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
      synchronized (this) {
        if (holding) {
          held.add(() -> inner.read(offset, buf, bufOffset, length, done));
          return;
        }
      }
      inner.read(offset, buf, bufOffset, length, done);
    }
  }
}
