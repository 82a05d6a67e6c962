package io.caspian.nvmf.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import io.caspian.nexus.ChildInfo;
import io.caspian.nexus.ChildState;
import io.caspian.nexus.Nexus;
import io.caspian.nexus.NexusOptions;
import io.caspian.nvmf.Nvme;
import io.caspian.nvmf.target.NvmfTarget;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A nexus with a local child and a child over NVMe/TCP whose node hangs or dies: the front-end
 * write completes on the local child within the child I/O timeout (hung) or at once (dead), the
 * remote child is faulted, and every block reads back with its checksum.
 */
class ChildIoTimeoutTest {

  private static final int MB = 1 << 20;
  private static final long SIZE = 16 * MB;

  private MallocDevice remoteDisk;
  private NvmfTarget target;
  private String nqn;
  private StallingDevice stalling;
  private Nexus nexus;

  @BeforeEach
  void start() throws Exception {
    remoteDisk = new MallocDevice("malloc:///remote", SIZE, 512);
    stalling = new StallingDevice(remoteDisk);
    target = NvmfTarget.bind("127.0.0.1", 0);
    nqn = Nvme.nqnFor(UUID.randomUUID());
    target.addSubsystem(nqn, stalling, Set.of());
  }

  @AfterEach
  void stop() {
    stalling.release();
    if (nexus != null) {
      nexus.close();
    }
    if (target != null) {
      target.close();
    }
  }

  /** The replica node dies: its target stops listening and drops its connections. */
  private void killTarget() {
    target.close();
    target = null;
  }

  /** A nexus over a local malloc child and the remote one, its nvmf I/Os timing out as given. */
  private Nexus nexus(long childIoTimeoutMs) throws BdevException {
    DeviceOpener opener = DeviceOpener.standard().with("nvmf",
        NvmfDevice.factory(null, childIoTimeoutMs));
    String remote = "nvmf://127.0.0.1:" + target.port() + "/" + nqn + "?io_queues=1&queue_depth=8";
    nexus = Nexus.create(UUID.randomUUID().toString(), SIZE,
        List.of("malloc:///local?size_mb=16", remote), opener, NexusOptions.defaults());
    return nexus;
  }

  private static ByteBuffer pattern(int len, long seed) {
    ByteBuffer b = DirectMemory.allocate((len + 4095) & ~4095);
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < len; i += 8) {
      b.putLong(i, r.nextLong());
    }
    return b.limit(len);
  }

  private static long crc(ByteBuffer b, int len) {
    CRC32C c = new CRC32C();
    c.update(b.duplicate().clear().limit(len));
    return c.getValue();
  }

  private ChildState remoteState() {
    return nexus.children().stream().filter(c -> c.uri().startsWith("nvmf://"))
        .map(ChildInfo::state).findFirst().orElseThrow();
  }

  private void verify(long offset, ByteBuffer expected, int len) throws BdevException {
    ByteBuffer back = DirectMemory.allocate(len);
    SyncIo.read(nexus, offset, back, 0, len);
    assertEquals(crc(expected, len), crc(back, len), "block at " + offset + " reads back wrong");
  }

  @Test
  void aHungReplicaStallsWritesForAtMostTheChildIoTimeoutPlusOneSecond() throws Exception {
    long timeoutMs = 1000;
    nexus(timeoutMs);
    ByteBuffer before = pattern(64 * 1024, 1);
    SyncIo.write(nexus, 0, before, 0, 64 * 1024);
    stalling.stall();
    ByteBuffer during = pattern(64 * 1024, 2);
    long t0 = System.nanoTime();
    SyncIo.write(nexus, MB, during, 0, 64 * 1024);
    long stallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(stallMs <= timeoutMs + 1000, "the write stalled " + stallMs + " ms");
    assertEquals(ChildState.faulted(ChildState.FaultReason.TIMED_OUT), remoteState());
    // Reads go to the child that has every acknowledged write, never to the faulted one.
    verify(0, before, 64 * 1024);
    verify(MB, during, 64 * 1024);
  }

  @Test
  void aDeadReplicaNodeFailsWritesWithoutWaitingForTheTimeout() throws Exception {
    long timeoutMs = 30_000;
    nexus(timeoutMs);
    ByteBuffer before = pattern(64 * 1024, 3);
    SyncIo.write(nexus, 0, before, 0, 64 * 1024);
    killTarget();
    ByteBuffer after = pattern(64 * 1024, 4);
    long t0 = System.nanoTime();
    SyncIo.write(nexus, 2 * MB, after, 0, 64 * 1024);
    long stallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(stallMs < 5000, "the write waited " + stallMs + " ms for a refused target");
    assertInstanceOf(ChildState.Faulted.class, remoteState());
    verify(0, before, 64 * 1024);
    verify(2 * MB, after, 64 * 1024);
  }

  /**
   * The device alone: refused, its I/Os fail at once; once a target listens again it
   * reconnects, and I/O works again with the data the target holds.
   */
  @Test
  void aRefusedDeviceFailsIoAtOnceUntilItsTargetIsBack() throws Exception {
    int port = target.port();
    try (NvmfDevice d = NvmfDevice.open("nvmf://127.0.0.1:" + port + "/" + nqn
        + "?io_queues=1&queue_depth=8&io_timeout_ms=30000")) {
      ByteBuffer data = pattern(8192, 5);
      SyncIo.write(d, 0, data, 0, 8192);
      killTarget();
      ByteBuffer buf = DirectMemory.allocate(8192);
      long t0 = System.nanoTime();
      BdevException e = assertThrows(BdevException.class, () -> SyncIo.read(d, 0, buf, 0, 8192));
      long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertTrue(waitedMs < 5000, "a read waited " + waitedMs + " ms for a refused target");
      assertEquals(BdevException.Kind.IO_ERROR, e.kind(), e.getMessage());
      target = NvmfTarget.bind("127.0.0.1", port);
      target.addSubsystem(nqn, remoteDisk, Set.of());
      CompletableFuture<BdevException> read = new CompletableFuture<>();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      do {
        read = new CompletableFuture<>();
        d.read(0, buf, 0, 8192, read::complete);
        if (read.get(35, TimeUnit.SECONDS) != null) {
          Thread.sleep(50);
        }
      } while (read.get() != null && System.nanoTime() < until);
      assertNull(read.get(), "the device never came back");
      assertEquals(crc(data, 8192), crc(buf, 8192));
    }
  }
}
