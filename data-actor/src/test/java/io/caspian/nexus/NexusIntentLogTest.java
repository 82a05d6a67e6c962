package io.caspian.nexus;

import static io.caspian.nexus.NexusTest.buffer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.Injection;
import io.caspian.bdev.IoType;
import io.caspian.rebuild.RebuildRecord;
import io.caspian.rebuild.RebuildState;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write-intent log across a crash of the nexus: closing a nexus leaves its log exactly as a
 * crash would (only {@link Nexus#destroy} changes it), so "crash" here is close-and-recreate over
 * the same children and log. Every 4 KiB block written carries its offset, a sequence number and a
 * CRC32C, and a model holds what every block must read back as.
 */
class NexusIntentLogTest {

  private static final long SIZE = 32L << 20;
  private static final int BLOCK = 4096;
  private static final Duration NEVER = Duration.ofHours(1);

  @TempDir
  Path dir;
  private final Children kids = new Children(SIZE, 512);
  private final byte[] model = new byte[(int) SIZE];
  private final SplittableRandom rnd = new SplittableRandom(16);
  private long seq;
  private Nexus nexus;

  private Nexus create(List<String> uris, Duration clearEvery) throws BdevException {
    nexus = Nexus.create("wil-1", SIZE, uris, kids.opener(), NexusOptions.defaults()
        .withIntentLog(new IntentLogOptions(dir.resolve("wil-1.wil"), clearEvery)));
    return nexus;
  }

  @AfterEach
  void close() {
    if (nexus != null) {
      nexus.close();
    }
  }

  /** A checksummed block for {@code offset}, recorded in the model. */
  private ByteBuffer block(long offset) {
    ByteBuffer b = buffer(BLOCK);
    b.putLong(0, offset);
    b.putLong(8, ++seq);
    for (int i = 16; i < BLOCK - 4; i += 4) {
      b.putInt(i, rnd.nextInt());
    }
    CRC32C c = new CRC32C();
    c.update(b.duplicate().position(0).limit(BLOCK - 4));
    b.putInt(BLOCK - 4, (int) c.getValue());
    b.get(0, model, (int) offset, BLOCK);
    return b;
  }

  /**
   * Writes {@code count} random blocks inside {@code regions} (region size {@code region}), 32 in
   * flight at a time on distinct blocks, so writes park on the log together.
   */
  private void writeRandom(int count, int region, int... regions) throws Exception {
    int perRegion = region / BLOCK;
    for (int done = 0; done < count; ) {
      List<CompletableFuture<BdevException>> inFlight = new ArrayList<>();
      BitSet used = new BitSet();
      for (int k = 0; k < 32 && done < count; k++, done++) {
        long blk;
        do {
          blk = (long) regions[rnd.nextInt(regions.length)] * perRegion + rnd.nextInt(perRegion);
        } while (used.get((int) blk));
        used.set((int) blk);
        CompletableFuture<BdevException> f = new CompletableFuture<>();
        nexus.write(blk * BLOCK, block(blk * BLOCK), 0, BLOCK, f::complete);
        inFlight.add(f);
      }
      for (CompletableFuture<BdevException> f : inFlight) {
        assertNull(f.get(10, TimeUnit.SECONDS));
      }
    }
  }

  private static int[] allRegions(int region) {
    int[] all = new int[(int) (SIZE / region)];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    return all;
  }

  /** Every child's medium equals the model, and every block written verifies its checksum. */
  private void verify(List<String> uris) throws BdevException {
    for (String u : uris) {
      byte[] got = kids.content(u);
      for (int off = 0; off < SIZE; off += BLOCK) {
        ByteBuffer b = ByteBuffer.wrap(got, off, BLOCK).slice();
        if (b.getLong(8) != 0) {
          assertEquals(off, b.getLong(0), u + ": block at " + off + " holds another block");
          CRC32C c = new CRC32C();
          c.update(b.duplicate().position(0).limit(BLOCK - 4));
          assertEquals((int) c.getValue(), b.getInt(BLOCK - 4), u + ": checksum at " + off);
        }
      }
      assertArrayEquals(model, got, u + " differs from what was written");
    }
  }

  private static void waitFor(BooleanSupplier cond, String what) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  private boolean online(String uri) {
    try {
      return nexus.childState(uri).isOnline();
    } catch (BdevException e) {
      throw new AssertionError(e);
    }
  }

  /** The last finished rebuild onto {@code uri}. */
  private RebuildRecord lastRebuild(String uri) {
    List<RebuildRecord> h = nexus.rebuildHistory();
    for (int i = h.size() - 1; i >= 0; i--) {
      if (h.get(i).destination().equals(uri)) {
        return h.get(i);
      }
    }
    throw new AssertionError("no rebuild onto " + uri + " in " + h);
  }

  private static long rebuiltBytes(RebuildRecord r) {
    return r.stats().blocksTotal() * 512;
  }

  @Test
  void aReplicaBackAfterTheNexusCrashedGetsOnlyTheDirtyRegions() throws Exception {
    List<String> uris = kids.make("a", "b", "c");
    String a = uris.get(0);
    String b = uris.get(1);
    String c = uris.get(2);
    create(uris, Duration.ofMillis(50));
    int region = nexus.intentRegionSize();
    assertEquals(1 << 20, region);
    // Fill the volume, then let the clearing pass find every region quiet and in sync.
    writeRandom(3000, region, allRegions(region));
    waitFor(() -> nexus.intentDirtyRegions() == 0, "every region cleared");

    // C fails a write and is faulted; what it misses stays dirty in the log.
    kids.inject(c).inject(Injection.always(IoType.WRITE));
    writeRandom(400, region, 3, 7, 8, 20);
    assertTrue(nexus.childState(c) instanceof ChildState.Faulted, nexus.childState(c).toString());
    Thread.sleep(200); // several clearing passes: none may clear while C lacks the regions
    assertEquals(4, nexus.intentDirtyRegions());

    // The io-engine dies; the control plane re-creates the nexus with the children in sync.
    nexus.close();
    create(List.of(a, b), NEVER);
    assertEquals(NexusState.DEGRADED, nexus.state());
    waitFor(() -> online(b), "B resynced over the dirty regions");
    RebuildRecord resync = lastRebuild(b);
    assertTrue(resync.partial());
    assertEquals(4L * region, rebuiltBytes(resync));
    // Writes go on while C is away: they too are held for it.
    writeRandom(200, region, 25);
    assertEquals(5, nexus.intentDirtyRegions());

    // C's replica returns within the faulted-child wait and is added again.
    RebuildRecord back = nexus.addChild(c).get(20, TimeUnit.SECONDS);
    assertEquals(RebuildState.COMPLETED, back.state());
    assertTrue(back.partial(), "a returning member is rebuilt partially");
    assertEquals(5L * region, rebuiltBytes(back));
    assertTrue(rebuiltBytes(back) * 6 < SIZE);
    waitFor(() -> online(c), "C online");
    assertEquals(NexusState.ONLINE, nexus.state());
    verify(uris);
  }

  @Test
  void writesInFlightAtTheCrashAreResyncedFromTheFirstChild() throws Exception {
    List<String> uris = kids.make("a", "b", "c");
    create(uris, Duration.ofMillis(50));
    int region = nexus.intentRegionSize();
    writeRandom(1500, region, allRegions(region));
    waitFor(() -> nexus.intentDirtyRegions() == 0, "every region cleared");
    writeRandom(100, region, 5, 6);
    // The crash catches two mirrored writes half done: on B and C but not yet on A (which keeps
    // the data the model has), in regions the log holds dirty.
    kids.plant(uris.get(1), 5L * region + 8192, (byte) 0x11, 4096);
    kids.plant(uris.get(2), 6L * region + 65536, (byte) 0x22, 512);
    nexus.close();

    create(uris, NEVER);
    waitFor(() -> online(uris.get(1)) && online(uris.get(2)), "B and C resynced");
    for (String u : uris.subList(1, 3)) {
      RebuildRecord r = lastRebuild(u);
      assertTrue(r.partial());
      assertEquals(2L * region, rebuiltBytes(r));
    }
    verify(uris);
  }

  @Test
  void aChildTheLogKnowsIncompleteIsNeverTheResyncSource() throws Exception {
    List<String> uris = kids.make("a", "b");
    String a = uris.get(0);
    String b = uris.get(1);
    create(uris, NEVER);
    int region = nexus.intentRegionSize();
    writeRandom(100, region, 1, 2);
    // A fails a flush: its earlier writes may not be durable, so the log records it incomplete.
    kids.inject(a).inject(Injection.always(IoType.FLUSH));
    CompletableFuture<BdevException> flushed = new CompletableFuture<>();
    nexus.flush(flushed::complete);
    assertNull(flushed.get(10, TimeUnit.SECONDS), "B has the flush");
    assertTrue(nexus.childState(a) instanceof ChildState.Faulted, nexus.childState(a).toString());
    // Only B gets these; the write to a new region carries the member list to the log.
    writeRandom(100, region, 1, 2, 3);
    nexus.close();

    // A caller that vouches for both and names A first: B, which the log records complete, is
    // the source, and A is resynced in full from it.
    create(List.of(a, b), NEVER);
    waitFor(() -> online(a), "A resynced");
    assertFalse(lastRebuild(a).partial(), "a child recorded incomplete is resynced in full");
    verify(uris);
  }

  @Test
  void aWriteInFlightKeepsItsRegionDirtyThroughClearingPasses() throws Exception {
    HoldingDevice[] onB = new HoldingDevice[1];
    kids.wrapping(d -> d.uri().endsWith("/b") ? (onB[0] = new HoldingDevice(d)) : d);
    List<String> uris = kids.make("a", "b");
    create(uris, Duration.ofMillis(10));
    int region = nexus.intentRegionSize();
    writeRandom(300, region, allRegions(region));
    waitFor(() -> nexus.intentDirtyRegions() == 0, "every region cleared");
    // A write to region 9 lands on A; B's answer is held, so it stays in flight.
    long off = 9L * region + 3 * BLOCK;
    byte[] before = Arrays.copyOfRange(model, (int) off, (int) off + BLOCK);
    onB[0].holdNextWrite();
    nexus.write(off, block(off), 0, BLOCK, e -> { });
    assertTrue(onB[0].held.await(10, TimeUnit.SECONDS));
    Thread.sleep(300); // about 30 clearing passes
    assertEquals(1, nexus.intentDirtyRegions(), "a region with a write in flight is never cleared");
    // The crash: B never got the write (its old data is planted back), A did.
    nexus.close();
    kids.plant(uris.get(1), off, before);

    create(uris, NEVER);
    waitFor(() -> online(uris.get(1)), "B resynced");
    assertEquals((long) region, rebuiltBytes(lastRebuild(uris.get(1))));
    verify(uris);
  }

  @Test
  void anUnusableLogMeansAFullResyncAndAFullRebuild() throws Exception {
    List<String> uris = kids.make("a", "b", "c");
    create(uris, NEVER);
    writeRandom(200, nexus.intentRegionSize(), 1, 2);
    nexus.close();
    Files.write(dir.resolve("wil-1.wil"), new byte[100]);

    create(uris.subList(0, 2), NEVER);
    waitFor(() -> online(uris.get(1)), "B resynced");
    assertFalse(lastRebuild(uris.get(1)).partial());
    assertEquals(SIZE, rebuiltBytes(lastRebuild(uris.get(1))));
    RebuildRecord back = nexus.addChild(uris.get(2)).get(20, TimeUnit.SECONDS);
    assertFalse(back.partial(), "no member is known: C is rebuilt in full");
    assertEquals(SIZE, rebuiltBytes(back));
    verify(uris);
  }

  @Test
  void aLogOfAnotherSizeIsNotTrusted() throws Exception {
    List<String> uris = kids.make("a", "b");
    create(uris, NEVER);
    writeRandom(50, nexus.intentRegionSize(), 1);
    nexus.close();
    nexus = Nexus.create("wil-1", SIZE / 2, uris, kids.opener(), NexusOptions.defaults()
        .withIntentLog(new IntentLogOptions(dir.resolve("wil-1.wil"), NEVER)));
    waitFor(() -> online(uris.get(1)), "B resynced");
    assertEquals(SIZE / 2, rebuiltBytes(lastRebuild(uris.get(1))));
  }

  @Test
  void aFreshLogTrustsTheCallerAndDestroyDeletesIt() throws Exception {
    List<String> uris = kids.make("a", "b");
    create(uris, NEVER);
    assertEquals(NexusState.ONLINE, nexus.state());
    assertTrue(nexus.rebuildHistory().isEmpty());
    writeRandom(50, nexus.intentRegionSize(), 1);
    nexus.destroy();
    assertFalse(Files.exists(dir.resolve("wil-1.wil")));
    create(uris, NEVER);
    assertEquals(NexusState.ONLINE, nexus.state());
    assertEquals(0, nexus.intentDirtyRegions());
  }

  @Test
  void aForgottenMemberIsRebuiltInFullAndNoLongerHoldsRegions() throws Exception {
    List<String> uris = kids.make("a", "b", "c");
    create(uris, NEVER);
    writeRandom(50, nexus.intentRegionSize(), 1);
    nexus.close();
    create(uris.subList(0, 2), Duration.ofMillis(50));
    waitFor(() -> online(uris.get(1)), "B resynced");
    Thread.sleep(200);
    assertEquals(1, nexus.intentDirtyRegions(), "held for the absent C");
    assertTrue(nexus.forgetMember(uris.get(2)));
    waitFor(() -> nexus.intentDirtyRegions() == 0, "cleared once C is given up");
    RebuildRecord back = nexus.addChild(uris.get(2)).get(20, TimeUnit.SECONDS);
    assertFalse(back.partial());
    verify(uris);
  }
}
