package io.caspian.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Crash safety, swept: a scripted pool life runs on a disk that loses power after its N-th write
 * (optionally tearing that write), for every N the script reaches. After each crash the pool is
 * imported and must open with every acknowledged replica at its acknowledged size and content,
 * no cluster owned twice, used space equal to the extent maps, and must keep working.
 */
class PoolCrashSweepTest {

  private static final int C = 64 << 10;
  private static final UUID POOL = UUID.fromString("00000000-0000-0000-0000-00000000b001");
  private static final UUID[] IDS = new UUID[6];

  static {
    for (int i = 0; i < IDS.length; i++) {
      IDS[i] = new UUID(0xA, i);
    }
  }

  /** One step of the script. */
  private sealed interface Op {
    record CreatePool() implements Op {}

    record Create(int id, long size, boolean thin) implements Op {}

    record Destroy(int id) implements Op {}

    record Resize(int id, long size) implements Op {}

    record Write(int id, long offset, int length, long seed) implements Op {}

    /** Writes issued together, so that their thin allocations share records (group commit). */
    record WriteMany(int id, List<Long> offsets, int length, long seed) implements Op {}
  }

  private static final List<Op> SCRIPT = List.of(
      new Op.CreatePool(),
      new Op.Create(0, 4L * C, false),
      new Op.Create(1, 16L * C, true),
      new Op.Write(0, 0, 8192, 1),
      new Op.Write(0, C - 4096, 12288, 2),
      new Op.Write(1, C + 4096, 4096, 3),
      new Op.Write(1, 5L * C - 8192, 16384, 4),
      new Op.Resize(1, 32L * C),
      new Op.Create(2, 8L * C, true),
      new Op.Write(2, 0, 4096, 5),
      new Op.Resize(0, 6L * C + 1024),
      new Op.Write(0, 6L * C, 1024, 6),
      new Op.Resize(0, 5L * C + 512),
      new Op.Resize(0, 6L * C),
      new Op.Resize(1, 4L * C + 4096),
      new Op.Resize(1, 8L * C),
      new Op.Destroy(2),
      new Op.Create(3, 3L * C, false),
      new Op.Write(1, 6L * C, 8192, 7),
      new Op.Write(3, C, 4096, 8),
      new Op.Destroy(0),
      new Op.Create(4, 2L * C, true),
      new Op.Write(4, 0, C, 9),
      new Op.Write(1, 2L * C, 2 * C, 10),
      new Op.WriteMany(4, List.of(C + 4096L, 0L), 4096, 11),
      new Op.WriteMany(1, List.of(0L, 5L * C + 8192, 7L * C, 7L * C + 16384), 8192, 12));

  /** What the script was told succeeded before power went. */
  private static final class Model {
    boolean pool;
    final Map<Integer, Op.Create> specs = new LinkedHashMap<>();
    final Map<Integer, byte[]> content = new LinkedHashMap<>();
    Op uncertain;

    void acked(Op op) {
      if (op instanceof Op.CreatePool) {
        pool = true;
      } else if (op instanceof Op.Create c) {
        specs.put(c.id(), c);
        content.put(c.id(), new byte[(int) c.size()]);
      } else if (op instanceof Op.Destroy d) {
        specs.remove(d.id());
        content.remove(d.id());
      } else if (op instanceof Op.Resize r) {
        content.put(r.id(), Arrays.copyOf(content.get(r.id()), (int) r.size()));
      } else if (op instanceof Op.Write w) {
        System.arraycopy(Disks.pattern(w.seed(), w.length()), 0, content.get(w.id()),
            (int) w.offset(), w.length());
      } else if (op instanceof Op.WriteMany w) {
        for (int i = 0; i < w.offsets().size(); i++) {
          System.arraycopy(Disks.pattern(w.seed() + i, w.length()), 0, content.get(w.id()),
              w.offsets().get(i).intValue(), w.length());
        }
      }
    }

    /** Byte ranges of a replica that the interrupted operation may have written in part. */
    List<long[]> unknown(int id) {
      if (uncertain instanceof Op.Write w && w.id() == id) {
        return List.of(new long[] {w.offset(), w.length()});
      }
      if (uncertain instanceof Op.WriteMany w && w.id() == id) {
        return w.offsets().stream().map(o -> new long[] {o, w.length()}).toList();
      }
      return List.of();
    }
  }

  private static final ByteBuffer JUNK = Disks.buffer((8 << 20) - 4096);

  static {
    for (int i = 0; i < JUNK.capacity(); i++) {
      JUNK.put(i, (byte) (0xE5 ^ i));
    }
  }

  private final MallocDevice mem = new MallocDevice("malloc:///crash", 8 << 20, 512);
  private int logBlocks;

  @ParameterizedTest(name = "log of {0} records")
  @ValueSource(ints = {2, 4, 64})
  void everyCrashPointImportsConsistently(int logBlocks) throws Exception {
    this.logBlocks = logBlocks;
    long total = run(Long.MAX_VALUE, false).writes;
    assertTrue(total > SCRIPT.size(), "the script wrote only " + total + " times");
    int imported = 0;
    for (boolean tear : new boolean[] {false, true}) {
      for (long n = 1; n <= total; n++) {
        Outcome o = run(n, tear);
        try {
          if (verify(o.model)) {
            imported++;
          }
        } catch (AssertionError | Exception e) {
          throw new AssertionError("power lost at write " + n + (tear ? " (torn)" : "")
              + " during " + o.model.uncertain + ": " + e.getMessage(), e);
        }
      }
    }
    assertTrue(imported > total, "only " + imported + " crash points had a pool to import");
  }

  private record Outcome(Model model, long writes) {}

  /** Runs the script until power is lost; returns what was acknowledged before that. */
  private Outcome run(long cutAfter, boolean tear) throws Exception {
    // A blank superblock area over old data: every zero a replica shows must have been written.
    SyncIo.writeZeroes(mem, 0, 4096);
    SyncIo.write(mem, 4096, JUNK, 0, JUNK.capacity());
    PowerLossDevice dev = new PowerLossDevice(mem, cutAfter, tear);
    Model model = new Model();
    Pool pool = null;
    for (Op op : SCRIPT) {
      if (op instanceof Op.CreatePool) {
        // Overwrite: the junk is old data on purpose, which a plain create refuses to format.
        pool = Pool.create(dev, "crash", POOL, C, true, logBlocks);
      } else if (op instanceof Op.Create c) {
        pool.createReplica(IDS[c.id()], "r" + c.id(), c.size(), c.thin());
      } else if (op instanceof Op.Destroy d) {
        pool.destroyReplica(IDS[d.id()]);
      } else if (op instanceof Op.Resize r) {
        pool.resizeReplica(IDS[r.id()], r.size());
      } else if (op instanceof Op.Write w) {
        Disks.write(pool.replica(IDS[w.id()]).orElseThrow(), w.offset(),
            Disks.pattern(w.seed(), w.length()));
      } else if (op instanceof Op.WriteMany w) {
        writeTogether(pool.replica(IDS[w.id()]).orElseThrow(), w);
      }
      if (dev.lost()) {
        model.uncertain = op;
        break;
      }
      model.acked(op);
    }
    if (pool != null) {
      pool.export();
    }
    return new Outcome(model, dev.writes());
  }

  private static void writeTogether(Replica r, Op.WriteMany w) throws Exception {
    int n = w.offsets().size();
    ByteBuffer buf = Disks.buffer(n * w.length());
    List<CompletableFuture<BdevException>> done = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      buf.put(i * w.length(), Disks.pattern(w.seed() + i, w.length()));
      CompletableFuture<BdevException> f = new CompletableFuture<>();
      r.write(w.offsets().get(i), buf, i * w.length(), w.length(), f::complete);
      done.add(f);
    }
    for (CompletableFuture<BdevException> f : done) {
      assertNull(f.get(10, TimeUnit.SECONDS));
    }
  }

  /** Imports after the crash and checks it; returns whether there was a pool to import. */
  private boolean verify(Model m) throws Exception {
    long before = Disks.checksum(mem);
    Pool pool;
    try {
      pool = Pool.importFrom(PowerLossDevice.reliable(mem));
    } catch (PoolException e) {
      assertEquals(before, Disks.checksum(mem), "a failed import wrote");
      if (m.pool) {
        fail("acknowledged pool does not import: " + e.getMessage(), e);
      }
      assertTrue(e.kind() == PoolException.Kind.NOT_A_POOL
          || e.kind() == PoolException.Kind.CORRUPT, e.getMessage());
      return false;
    }
    assertEquals(before, Disks.checksum(mem), "import wrote to the disk");
    checkReplicas(pool, m);
    ReplicaTest.checkOwnership(pool);

    // The imported pool keeps working, and what it does survives another import.
    UUID after = new UUID(0xB, 0);
    Replica r = pool.createReplica(after, "after", 3L * C, true);
    byte[] data = Disks.pattern(99, C);
    Disks.write(r, C / 2, data);
    Map<UUID, Long> sizes = new LinkedHashMap<>();
    pool.replicas().forEach(x -> sizes.put(x.uuid(), x.size()));
    PoolStats stats = pool.stats();
    pool.export();
    Pool again = Pool.importFrom(PowerLossDevice.reliable(mem));
    Map<UUID, Long> sizesAgain = new LinkedHashMap<>();
    again.replicas().forEach(x -> sizesAgain.put(x.uuid(), x.size()));
    assertEquals(sizes, sizesAgain);
    assertEquals(stats, again.stats());
    assertArrayEquals(data, Disks.read(again.replica(after).orElseThrow(), C / 2, C));
    ReplicaTest.checkOwnership(again);
    again.export();
    return true;
  }

  private void checkReplicas(Pool pool, Model m) throws Exception {
    Set<UUID> seen = new HashSet<>();
    for (Replica r : pool.replicas()) {
      int id = (int) r.uuid().getLeastSignificantBits();
      seen.add(r.uuid());
      Op.Create spec = m.specs.get(id);
      byte[] expect = m.content.get(id);
      if (spec == null) {
        assertTrue(m.uncertain instanceof Op.Create c && c.id() == id,
            "replica " + r.name() + " exists but its creation was never acknowledged");
        spec = (Op.Create) m.uncertain;
        expect = new byte[(int) spec.size()];
      }
      assertEquals("r" + id, r.name());
      assertEquals(spec.thin(), r.thin());
      long size = expect.length;
      if (r.size() != size) {
        assertTrue(m.uncertain instanceof Op.Resize z && z.id() == id && z.size() == r.size(),
            r.name() + " has size " + r.size() + ", acknowledged " + size);
      }
      byte[] actual = Disks.read(r, 0, (int) r.size());
      int common = (int) Math.min(size, r.size());
      for (long[] range : m.unknown(id)) {
        // The interrupted write may have landed in part: only its range is unknown.
        actual = actual.clone();
        expect = expect.clone();
        Arrays.fill(actual, (int) range[0], (int) (range[0] + range[1]), (byte) 0);
        Arrays.fill(expect, (int) range[0], (int) (range[0] + range[1]), (byte) 0);
      }
      assertArrayEquals(Arrays.copyOf(expect, common), Arrays.copyOf(actual, common),
          "content of " + r.name());
      if (r.size() > size) {
        Disks.assertZero(Arrays.copyOfRange(actual, common, actual.length),
            "grown part of " + r.name());
      }
    }
    for (int id : m.specs.keySet()) {
      if (!seen.contains(IDS[id])) {
        assertTrue(m.uncertain instanceof Op.Destroy d && d.id() == id,
            "acknowledged replica r" + id + " is missing");
      }
    }
  }
}
