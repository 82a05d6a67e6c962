package io.caspian.nexus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.SyncIo;
import io.caspian.rebuild.RebuildOptions;
import io.caspian.rebuild.RebuildRecord;
import io.caspian.rebuild.RebuildState;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Several threads write random checksummed blocks to a three-child nexus while a fresh fourth
 * child is rebuilt, paused and resumed, and then while a faulted child catches up by a partial
 * rebuild. Children complete I/O out of order on other threads ({@link AsyncDevice}); half the
 * writes go to the segments copied last, so a write lost to a copy race is not healed by a later
 * write before the check (with the rebuild's range lock disabled, about half the seeds fail).
 * Each thread owns every fourth 8 KiB chunk, so the model of acknowledged writes is exact: per
 * block, the last sequence number its owner had acknowledged. At the end every child must equal
 * the model byte for byte.
 */
class NexusConcurrencyTest {

  private static final int BS = 512;
  private static final long SIZE = 4 << 20;
  private static final int BLOCKS = (int) (SIZE / BS);
  private static final int CHUNK_BLOCKS = 16;
  private static final int THREADS = 4;
  /** Half the I/O goes to the last 128 KiB: copied last, so a lost write there is not healed. */
  private static final int HOT_CHUNKS = (128 << 10) / (CHUNK_BLOCKS * BS);
  private static ExecutorService pool;

  @BeforeAll
  static void startPool() {
    pool = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "async-child");
      t.setDaemon(true);
      return t;
    });
  }

  @AfterAll
  static void stopPool() {
    pool.shutdownNow();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void everyChildEqualsTheModelAfterARebuildUnderLoad(long seed) throws Exception {
    Random rnd = new Random(seed);
    Children kids = new Children(SIZE, BS).wrapping(d -> new AsyncDevice(d, pool));
    List<String> uris = kids.make("a", "b", "c", "d");
    long rate = (8L + rnd.nextInt(24)) << 20;
    Nexus nexus = Nexus.create("c" + seed, SIZE, uris.subList(0, 3), kids.opener(),
        NexusOptions.defaults().withRebuild(new RebuildOptions(1 + rnd.nextInt(16), rate)));
    long[] model = new long[BLOCKS];
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> writers = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int me = t;
      writers.add(new Thread(() -> {
        try {
          writeLoop(nexus, seed, me, model, stop);
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }, "writer-" + t));
    }
    writers.forEach(Thread::start);
    try {
      Thread.sleep(20 + rnd.nextInt(30));
      String d = uris.get(3);
      rebuildWithPause(nexus, rnd, d, nexus.addChild(d), false);
      // Partial rebuild under the same load: b misses writes while faulted, then catches up.
      String b = uris.get(1);
      nexus.faultChild(b);
      Thread.sleep(10 + rnd.nextInt(30));
      rebuildWithPause(nexus, rnd, b, nexus.onlineChild(b), true);
    } finally {
      stop.set(true);
      for (Thread w : writers) {
        w.join(10_000);
      }
    }
    assertNull(failure.get(), () -> "writer failed: " + failure.get());
    assertEquals(NexusState.ONLINE, nexus.state());
    byte[] expected = image(seed, model);
    for (String u : uris) {
      assertArrayEquals(expected, kids.content(u), "child " + u + " differs from the model");
    }
    nexus.close();
  }

  private static void rebuildWithPause(Nexus nexus, Random rnd, String child,
      CompletableFuture<RebuildRecord> done, boolean partial) throws Exception {
    Thread.sleep(rnd.nextInt(40));
    if (!done.isDone()) {
      try {
        nexus.pauseRebuild(child);
        Thread.sleep(10 + rnd.nextInt(30));
        nexus.resumeRebuild(child);
      } catch (BdevException finishedMeanwhile) {
        // The rebuild may end between isDone and pause; nothing to pause then.
      }
    }
    RebuildRecord rec = done.get(20, TimeUnit.SECONDS);
    assertEquals(RebuildState.COMPLETED, rec.state(), String.valueOf(rec));
    assertEquals(partial, rec.partial());
    assertEquals(ChildState.ONLINE, nexus.childState(child));
  }

  private static void writeLoop(Nexus nexus, long seed, int me, long[] model, AtomicBoolean stop)
      throws BdevException {
    Random rnd = new Random(seed * 31 + me);
    ByteBuffer buf = DirectMemory.allocate(CHUNK_BLOCKS * BS);
    ByteBuffer back = DirectMemory.allocate(CHUNK_BLOCKS * BS);
    byte[] block = new byte[BS];
    long seq = (long) (me + 1) << 40;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
    int chunks = BLOCKS / CHUNK_BLOCKS;
    while (!stop.get() && System.nanoTime() < deadline) {
      int range = rnd.nextBoolean() ? HOT_CHUNKS : chunks;
      int chunk = chunks - range + rnd.nextInt(range / THREADS) * THREADS + me;
      int first = chunk * CHUNK_BLOCKS + rnd.nextInt(CHUNK_BLOCKS);
      int count = 1 + rnd.nextInt(chunk * CHUNK_BLOCKS + CHUNK_BLOCKS - first);
      int op = rnd.nextInt(20);
      if (op == 0) {
        SyncIo.writeZeroes(nexus, (long) first * BS, (long) count * BS);
        for (int i = 0; i < count; i++) {
          model[first + i] = 0;
        }
      } else if (op < 5) {
        SyncIo.read(nexus, (long) first * BS, back, 0, count * BS);
        for (int i = 0; i < count; i++) {
          back.get(i * BS, block);
          verify(seed, first + i, model[first + i], block);
        }
      } else {
        long s = ++seq;
        for (int i = 0; i < count; i++) {
          fillBlock(seed, first + i, s, block);
          buf.put(i * BS, block);
        }
        SyncIo.write(nexus, (long) first * BS, buf, 0, count * BS);
        for (int i = 0; i < count; i++) {
          model[first + i] = s;
        }
        if (op == 19) {
          SyncIo.flush(nexus);
        }
      }
    }
  }

  /** A block: its index, sequence and seed, bytes derived from them, and a CRC32 of it all. */
  static void fillBlock(long seed, int blockNo, long seq, byte[] out) {
    ByteBuffer b = ByteBuffer.wrap(out);
    b.putLong(0, blockNo).putLong(8, seq).putLong(16, seed);
    Random r = new Random(seed ^ (blockNo * 0x9E3779B97F4A7C15L) ^ seq);
    for (int i = 24; i < BS - 4; i += 4) {
      b.putInt(i, r.nextInt());
    }
    CRC32 crc = new CRC32();
    crc.update(out, 0, BS - 4);
    b.putInt(BS - 4, (int) crc.getValue());
  }

  private static void verify(long seed, int blockNo, long seq, byte[] got) {
    byte[] want = new byte[BS];
    if (seq != 0) {
      fillBlock(seed, blockNo, seq, want);
    }
    if (!Arrays.equals(want, got)) {
      ByteBuffer g = ByteBuffer.wrap(got);
      CRC32 crc = new CRC32();
      crc.update(got, 0, BS - 4);
      throw new AssertionError("block " + blockNo + ": expected seq " + seq + ", read block "
          + g.getLong(0) + " seq " + g.getLong(8) + " (checksum "
          + ((int) crc.getValue() == g.getInt(BS - 4) ? "ok" : "bad") + ")");
    }
  }

  private static byte[] image(long seed, long[] model) {
    byte[] img = new byte[(int) SIZE];
    byte[] block = new byte[BS];
    for (int i = 0; i < BLOCKS; i++) {
      if (model[i] != 0) {
        fillBlock(seed, i, model[i], block);
        System.arraycopy(block, 0, img, i * BS, BS);
      }
    }
    return img;
  }
}
