package io.caspian.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.MallocDevice;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The server over real sockets on 127.0.0.1, with several connections to one export. */
class NbdServerTest {

  private static final int BLOCK = 4096;
  private static final long SIZE = 32L << 20;

  private NbdServer server;
  private MallocDevice device;
  private ExecutorService pool;

  @BeforeEach
  void start() throws IOException {
    device = new MallocDevice("malloc:///nbd-socket", SIZE, 512);
    server = NbdServer.start("127.0.0.1", 0);
    server.export("disk", device, false);
    pool = Executors.newFixedThreadPool(4);
  }

  @AfterEach
  void stop() throws InterruptedException {
    pool.shutdownNow();
    pool.awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    device.close();
  }

  private NbdTestClient connect() throws IOException {
    return new NbdTestClient(server.address(), "disk");
  }

  private static long crc(byte[] b) {
    CRC32C c = new CRC32C();
    c.update(b);
    return c.getValue();
  }

  /**
   * Each of four connections pipelines writes (some FUA, some larger than a request's own buffer)
   * into its own region, then every connection reads back its neighbour's region, pipelined, and
   * compares checksums: data written on one connection is visible on all, replies match cookies.
   */
  @Test
  void pipelinedWritesOnSeveralConnectionsReadBackOnOthers() throws Exception {
    int conns = 4;
    long region = SIZE / conns;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    Map<Long, Long> expected = new java.util.concurrent.ConcurrentHashMap<>();
    List<NbdTestClient> clients = new ArrayList<>();
    for (int i = 0; i < conns; i++) {
      NbdTestClient c = connect();
      assertEquals(SIZE, c.size);
      assertEquals(Nbd.FLAG_CAN_MULTI_CONN, c.flags & Nbd.FLAG_CAN_MULTI_CONN);
      clients.add(c);
    }
    int rounds = 0;
    do {
      List<Future<?>> writes = new ArrayList<>();
      for (int i = 0; i < conns; i++) {
        int id = i;
        int round = rounds;
        writes.add(pool.submit(() -> {
          writeRegion(clients.get(id), id * region, region, new Random(round * 31L + id), expected);
          return null;
        }));
      }
      for (Future<?> f : writes) {
        f.get(30, TimeUnit.SECONDS);
      }
      List<Future<?>> reads = new ArrayList<>();
      for (int i = 0; i < conns; i++) {
        int id = i;
        reads.add(pool.submit(() -> {
          verifyRegion(clients.get(id), ((id + 1) % conns) * region, region, expected);
          return null;
        }));
      }
      for (Future<?> f : reads) {
        f.get(30, TimeUnit.SECONDS);
      }
      rounds++;
    } while (System.nanoTime() < deadline && rounds < 20);
    for (NbdTestClient c : clients) {
      c.close();
    }
    assertTrue(rounds > 0);
  }

  private static void writeRegion(NbdTestClient c, long start, long length, Random rnd,
      Map<Long, Long> expected) throws IOException {
    Map<Long, Long> cookies = new HashMap<>();
    long cookie = 1;
    // 64 blocks spread over the region, plus one 256 KiB write (beyond a request's own buffer)
    for (int i = 0; i < 64; i++) {
      long offset = start + (long) rnd.nextInt((int) (length / BLOCK) - 64) * BLOCK;
      byte[] data = new byte[BLOCK];
      rnd.nextBytes(data);
      c.send(Nbd.CMD_WRITE, i % 8 == 0 ? Nbd.CMD_FLAG_FUA : 0, cookie, offset, BLOCK, data);
      cookies.put(cookie++, offset);
      expected.put(offset, crc(data));
    }
    long bigOffset = start + length - 64 * BLOCK;
    byte[] big = new byte[64 * BLOCK];
    rnd.nextBytes(big);
    c.send(Nbd.CMD_WRITE, 0, cookie, bigOffset, big.length, big);
    cookies.put(cookie++, bigOffset);
    for (int i = 0; i < 64; i++) {
      expected.put(bigOffset + (long) i * BLOCK,
          crc(java.util.Arrays.copyOfRange(big, i * BLOCK, (i + 1) * BLOCK)));
    }
    c.send(Nbd.CMD_FLUSH, 0, cookie, 0, 0, null);
    cookies.put(cookie, -1L);
    c.flush();
    while (!cookies.isEmpty()) {
      NbdTestClient.Reply r = c.reply();
      assertEquals(0, r.error(), "error reply for cookie " + r.cookie());
      assertTrue(cookies.remove(r.cookie()) != null, "unknown cookie " + r.cookie());
    }
  }

  private static void verifyRegion(NbdTestClient c, long start, long length,
      Map<Long, Long> expected) throws IOException {
    Map<Long, Long> cookies = new HashMap<>();
    long cookie = 1000;
    for (Map.Entry<Long, Long> e : expected.entrySet()) {
      if (e.getKey() >= start && e.getKey() < start + length) {
        c.send(Nbd.CMD_READ, 0, cookie, e.getKey(), BLOCK, null);
        cookies.put(cookie++, e.getKey());
      }
    }
    c.flush();
    while (!cookies.isEmpty()) {
      NbdTestClient.Reply r = c.reply();
      Long offset = cookies.remove(r.cookie());
      assertTrue(offset != null, "unknown cookie " + r.cookie());
      assertEquals(0, r.error());
      assertEquals((long) offset, r.offset());
      assertEquals((long) expected.get(offset), crc(r.data()), "checksum at " + offset);
    }
  }

  /**
   * Two connections write disjoint bytes of the same blocks at unaligned offsets, at the same
   * time, many times: read-modify-write under the export's write gate keeps both.
   */
  @Test
  void concurrentUnalignedWritesToOneBlockBothLand() throws Exception {
    try (NbdTestClient a = connect(); NbdTestClient b = connect()) {
      for (int round = 0; round < 50; round++) {
        byte fillA = (byte) (2 * round + 1);
        byte fillB = (byte) (2 * round + 2);
        Future<?> fa = pool.submit(() -> unalignedBurst(a, 100, fillA));
        Future<?> fb = pool.submit(() -> unalignedBurst(b, 300, fillB));
        fa.get(10, TimeUnit.SECONDS);
        fb.get(10, TimeUnit.SECONDS);
        a.send(Nbd.CMD_READ, 0, 99, 0, 16 * 512, null);
        a.flush();
        byte[] got = a.reply().data();
        for (int blk = 0; blk < 16; blk++) {
          assertEquals(fillA, got[blk * 512 + 100], "block " + blk + " round " + round);
          assertEquals(fillA, got[blk * 512 + 199]);
          assertEquals(fillB, got[blk * 512 + 300]);
          assertEquals(fillB, got[blk * 512 + 399]);
        }
      }
    }
  }

  private static Void unalignedBurst(NbdTestClient c, int at, byte fill) throws IOException {
    byte[] data = new byte[100];
    java.util.Arrays.fill(data, fill);
    for (int blk = 0; blk < 16; blk++) {
      c.send(Nbd.CMD_WRITE, 0, blk, blk * 512L + at, data.length, data);
    }
    c.flush();
    for (int blk = 0; blk < 16; blk++) {
      assertEquals(0, c.reply().error());
    }
    return null;
  }

  @Test
  void exportsComeAndGoAtRunTime() throws Exception {
    MallocDevice other = new MallocDevice("malloc:///nbd-other", 1 << 20, 4096);
    server.export("other", other, true);
    assertEquals(List.of("disk", "other"), server.exportNames());
    NbdTestClient c = new NbdTestClient(server.address(), "other");
    assertEquals(1 << 20, c.size);
    assertEquals(Nbd.FLAG_READ_ONLY, c.flags & Nbd.FLAG_READ_ONLY);
    assertTrue(server.unexport("other"));
    c.send(Nbd.CMD_READ, 0, 1, 0, 4096, null);
    c.flush();
    // removing an export closes its connections
    assertThrows(IOException.class, c::reply);
    assertThrows(IOException.class, () -> new NbdTestClient(server.address(), "other"));
    // "" finds the only export left
    try (NbdTestClient d = new NbdTestClient(server.address(), "")) {
      assertEquals(SIZE, d.size);
      d.send(Nbd.CMD_READ, 0, 7, SIZE - BLOCK, BLOCK, null);
      d.flush();
      assertEquals(ByteBuffer.wrap(new byte[BLOCK]), ByteBuffer.wrap(d.reply().data()));
    }
  }

  /**
   * Measures what the server's event-loop threads allocate per 4 KiB read and write once warm.
   * Not a performance assertion: the bound is loose and catches a per-I/O object, not noise.
   */
  @Test
  void theIoPathAllocatesNothingPerRequest() throws Exception {
    // Leak tracking (PARANOID in other test classes of this JVM) records stacks per buffer.
    ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    try {
      measureAllocation();
    } finally {
      ResourceLeakDetector.setLevel(level);
    }
  }

  private void measureAllocation() throws Exception {
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    try (NbdTestClient c = connect()) {
      byte[] data = new byte[BLOCK];
      new Random(5).nextBytes(data);
      ioBatches(c, data, 300);
      long[] ids = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().startsWith("nbd-")).mapToLong(Thread::getId).toArray();
      long before = java.util.Arrays.stream(mx.getThreadAllocatedBytes(ids)).sum();
      int ios = ioBatches(c, data, 300);
      long after = java.util.Arrays.stream(mx.getThreadAllocatedBytes(ids)).sum();
      double perIo = (after - before) / (double) ios;
      System.out.printf("NBD server event loops allocated %.1f bytes per 4 KiB I/O over %d I/Os%n",
          perIo, ios);
      assertTrue(perIo < 64, "server allocates " + perIo + " bytes per I/O");
    }
  }

  /** Pipelined batches of 32 writes then 32 reads; returns the number of I/Os. */
  private static int ioBatches(NbdTestClient c, byte[] data, int batches) throws IOException {
    for (int b = 0; b < batches; b++) {
      for (int i = 0; i < 32; i++) {
        c.send(Nbd.CMD_WRITE, 0, i, (long) i * BLOCK, BLOCK, data);
      }
      c.flush();
      for (int i = 0; i < 32; i++) {
        assertEquals(0, c.reply().error());
      }
      for (int i = 0; i < 32; i++) {
        c.send(Nbd.CMD_READ, 0, i, (long) i * BLOCK, BLOCK, null);
      }
      c.flush();
      for (int i = 0; i < 32; i++) {
        assertEquals(0, c.reply().error());
      }
    }
    return batches * 64;
  }

  @Test
  void aBusyPortIsAClearError() {
    IOException e = assertThrows(IOException.class,
        () -> NbdServer.start("127.0.0.1", server.port()).close());
    assertTrue(e.getMessage().contains("127.0.0.1:" + server.port()), e.getMessage());
  }

  @Test
  void theNioTransportServesToo() throws Exception {
    try (NbdServer nio = NbdServer.startNio("127.0.0.1", 0)) {
      nio.export("disk", device, false);
      try (NbdTestClient c = new NbdTestClient(nio.address(), "disk")) {
        byte[] data = new byte[BLOCK];
        new Random(9).nextBytes(data);
        assertEquals(64 * 20, ioBatches(c, data, 20));
        c.send(Nbd.CMD_READ, 0, 1, 0, BLOCK, null);
        c.flush();
        assertEquals(ByteBuffer.wrap(data), ByteBuffer.wrap(c.reply().data()));
      }
    }
  }
}
