package io.caspian.nvmf.host;

import static org.junit.jupiter.api.Assertions.*;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.SyncIo;
import io.caspian.nvmf.PeerScript;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Our initiator against the Linux 6.1 kernel target ({@code nvmet-tcp}) in a VM, started by
 * {@code nvmf-vm.sh target}: verified large and parallel writes, the last block, flush, write
 * zeroes and unmap; the script must then stop cleanly (exit 0) on SIGTERM. Once plain and
 * once with header and data digests.
 */
class KernelTargetPeerTest {

  private static final int MB = 1 << 20;

  @Test
  void ourInitiatorAgainstLinuxNvmet() throws Exception {
    run("");
  }

  @Test
  void ourInitiatorWithHeaderAndDataDigests() throws Exception {
    run("&hdgst=1&ddgst=1");
  }

  private void run(String options) throws Exception {
    PeerScript.peersDir();
    int port = PeerScript.freePort();
    Path ready = Files.createTempFile("nvmf-kt", ".ready");
    Files.delete(ready);
    String nqn = "nqn.2024-01.io.caspian.test:kt" + port;
    try (PeerScript p = PeerScript.start(Map.of("BP_READY_FILE", ready.toString()),
        "nvmf-vm.sh", "target", Integer.toString(port), nqn, "64", "300")) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
      while (!(Files.exists(ready) && Files.size(ready) > 0)) {
        assertTrue(p.alive(), "nvmf-vm.sh target ended before READY: " + p.verdict());
        assertTrue(System.nanoTime() < deadline, "nvmf-vm.sh target not READY within 240 s");
        Thread.sleep(500);
      }
      System.out.println("peer ready: " + Files.readString(ready).strip());
      try (NvmfDevice d = NvmfDevice.open("nvmf://127.0.0.1:" + port + "/" + nqn
          + "?io_queues=2&queue_depth=32" + options)) {
        System.out.println("connected to " + d.controllerInfo());
        assertEquals(64L * MB, d.size());
        exercise(d);
      }
      p.terminate();
      int rc = p.await(120);
      System.out.println("peer verdict: " + p.verdict());
      assertEquals(0, rc, "nvmf-vm.sh target failed: " + p.verdict());
    } finally {
      Files.deleteIfExists(ready);
    }
  }

  private static ByteBuffer random(int len, long seed) {
    ByteBuffer b = DirectMemory.allocate(len);
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < len; i += 8) {
      b.putLong(i, r.nextLong());
    }
    return b;
  }

  private static void assertSame(ByteBuffer a, ByteBuffer b, int len, String what) {
    for (int i = 0; i < len; i += 8) {
      if (a.getLong(i) != b.getLong(i)) {
        fail(what + ": data differs at byte " + i);
      }
    }
  }

  private static void exercise(NvmfDevice d) throws Exception {
    // Large: 4 MiB in one I/O (R2T/H2CData, beyond the target's 16 KiB in-capsule limit).
    int big = 4 * MB;
    ByteBuffer w = random(big, 1);
    SyncIo.write(d, 2 * MB, w, 0, big);
    ByteBuffer r = DirectMemory.allocate(big);
    SyncIo.read(d, 2 * MB, r, 0, big);
    assertSame(w, r, big, "4 MiB write");

    // 256 parallel 4 KiB writes at queue depth, then parallel reads, all compared.
    int n = 256;
    ByteBuffer many = random(n * 4096, 2);
    ByteBuffer back = DirectMemory.allocate(n * 4096);
    AtomicReference<BdevException> err = new AtomicReference<>();
    for (boolean write : new boolean[] {true, false}) {
      CountDownLatch left = new CountDownLatch(n);
      for (int i = 0; i < n; i++) {
        long off = 16L * MB + i * 8192L;
        submitWhenRoom(d, write, off, write ? many : back, i * 4096, left, err);
      }
      assertTrue(left.await(60, TimeUnit.SECONDS), "parallel I/O did not finish");
      assertNull(err.get());
    }
    assertSame(many, back, n * 4096, "parallel 4 KiB writes");

    long last = d.size() - d.blockSize();
    ByteBuffer one = random(4096, 3);
    SyncIo.write(d, last, one, 0, d.blockSize());
    ByteBuffer oneBack = DirectMemory.allocate(4096);
    SyncIo.read(d, last, oneBack, 0, d.blockSize());
    assertSame(one, oneBack, d.blockSize(), "last block");

    SyncIo.flush(d);
    SyncIo.writeZeroes(d, 2 * MB, 64 * 1024);
    SyncIo.read(d, 2 * MB, r, 0, 128 * 1024);
    for (int i = 0; i < 64 * 1024; i += 8) {
      assertEquals(0L, r.getLong(i), "write zeroes left data at " + i);
    }
    assertEquals(w.getLong(64 * 1024), r.getLong(64 * 1024), "write zeroes went too far");
    SyncIo.unmap(d, 3 * MB, MB);
    System.out.println("nvmet peer: 4 MiB + 256 x 4 KiB verified, last block, flush, "
        + "write zeroes, unmap ok");
  }

  /** Submits one I/O, retrying while every queue slot is taken. */
  private static void submitWhenRoom(NvmfDevice d, boolean write, long off, ByteBuffer buf,
      int bufOff, CountDownLatch left, AtomicReference<BdevException> err)
      throws InterruptedException {
    CountDownLatch accepted = new CountDownLatch(1);
    AtomicReference<BdevException> full = new AtomicReference<>();
    while (true) {
      full.set(null);
      io.caspian.bdev.IoCompletion c = e -> {
        if (e != null && e.kind() == BdevException.Kind.QUEUE_FULL) {
          full.set(e);
          accepted.countDown();
          return;
        }
        if (e != null) {
          err.compareAndSet(null, e);
        }
        left.countDown();
      };
      if (write) {
        d.write(off, buf, bufOff, 4096, c);
      } else {
        d.read(off, buf, bufOff, 4096, c);
      }
      if (full.get() == null) {
        return;
      }
      Thread.sleep(1);
    }
  }
}
