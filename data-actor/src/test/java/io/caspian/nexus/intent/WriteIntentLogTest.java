package io.caspian.nexus.intent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteIntentLogTest {

  private static final long SIZE = 64L << 20;
  private static final int REGION = 1 << 20;

  @TempDir
  Path dir;

  private static LogImage image(long seq, int... dirty) {
    long[] bits = new long[LogImage.words(LogImage.regionCount(SIZE, REGION))];
    for (int r : dirty) {
      bits[r >>> 6] |= 1L << (r & 63);
    }
    return new LogImage("n1", SIZE, REGION, seq,
        List.of(new Member("bdev:///a", true), new Member("nvmf://10.0.0.2:8420/nqn.x", false)),
        bits);
  }

  private static LogImage loaded(Path f) throws IOException {
    return assertInstanceOf(LogLoad.Loaded.class, WriteIntentLog.load(f)).image();
  }

  /** Overwrites {@code len} bytes at {@code at} with 0x5a, as a torn or rotten write would. */
  private static void smash(Path f, long at, int len) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(len);
      while (b.hasRemaining()) {
        b.put((byte) 0x5a);
      }
      b.flip();
      ch.write(b, at);
    }
  }

  @Test
  void noFileIsAbsent() throws IOException {
    assertInstanceOf(LogLoad.Absent.class, WriteIntentLog.load(dir.resolve("none.wil")));
  }

  @Test
  void roundTripAlternatesSlotsAndLoadsTheNewest() throws IOException {
    Path f = dir.resolve("sub/n1.wil");
    try (WriteIntentLog log = WriteIntentLog.open(f, 0)) {
      log.write(image(1, 0, 5));
      assertEquals(image(1, 0, 5), loaded(f));
      log.write(image(2, 5, 62, 63));
      log.write(image(3, 7));
      assertEquals(4, log.nextSequence());
    }
    LogImage img = loaded(f);
    assertEquals(image(3, 7), img);
    assertTrue(img.dirty(7));
    assertFalse(img.dirty(5));
    assertEquals(1, img.dirtyCount());
        assertTrue(Files.size(f) > WriteIntentLog.SLOT_SIZE, "slot B was written");
    try (WriteIntentLog log = WriteIntentLog.open(f, img.sequence())) {
      log.write(image(4, 1));
    }
    assertEquals(image(4, 1), loaded(f));
  }

  @Test
  void aTornSlotLeavesThePreviousImage() throws IOException {
    Path f = dir.resolve("n1.wil");
    try (WriteIntentLog log = WriteIntentLog.open(f, 0)) {
      log.write(image(1, 3));
      log.write(image(2, 3, 9));
      log.write(image(3, 3, 9, 40)); // odd sequences go to slot B
    }
    // The newest write tore after its first 40 bytes: the rest is what was there, or garbage.
    smash(f, WriteIntentLog.SLOT_SIZE + 40, 200);
    assertEquals(image(2, 3, 9), loaded(f));
    // A torn header (bad magic) is as invalid as a bad checksum.
    try (WriteIntentLog log = WriteIntentLog.open(f, 2)) {
      log.write(image(3, 11)); // slot B again, valid
      log.write(image(4, 12)); // slot A
    }
    smash(f, 0, 8);
    assertEquals(image(3, 11), loaded(f));
  }

  @Test
  void bothSlotsCorruptIsUnusable() throws IOException {
    Path f = dir.resolve("n1.wil");
    try (WriteIntentLog log = WriteIntentLog.open(f, 0)) {
      log.write(image(1, 3));
      log.write(image(2, 4));
    }
    smash(f, 30, 4);
    smash(f, WriteIntentLog.SLOT_SIZE + 60, 4);
    LogLoad.Unusable u = assertInstanceOf(LogLoad.Unusable.class, WriteIntentLog.load(f));
    assertTrue(u.why().contains("checksum"), u.why());
    Files.write(f, new byte[10]);
    assertInstanceOf(LogLoad.Unusable.class, WriteIntentLog.load(f));
  }

  @Test
  void deleteRemovesTheFile() throws IOException {
    Path f = dir.resolve("n1.wil");
    try (WriteIntentLog log = WriteIntentLog.open(f, 0)) {
      log.write(image(1, 3));
    }
    WriteIntentLog.delete(f);
    assertFalse(Files.exists(f));
    WriteIntentLog.delete(f);
  }

  @Test
  void regionsGrowWithTheVolumeToKeepTheBitmapSmall() {
    assertEquals(1 << 20, WriteIntentLog.regionSizeFor(1L << 30));
    assertEquals(1 << 20, WriteIntentLog.regionSizeFor(32L << 30));
    assertEquals(2 << 20, WriteIntentLog.regionSizeFor((32L << 30) + 1));
    assertEquals(32 << 20, WriteIntentLog.regionSizeFor(1L << 40));
    assertTrue(LogImage.regionCount(1L << 40, WriteIntentLog.regionSizeFor(1L << 40))
        <= WriteIntentLog.MAX_REGIONS);
  }
}
