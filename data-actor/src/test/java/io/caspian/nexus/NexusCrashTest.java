package io.caspian.nexus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.DeviceOpener;
import io.caspian.rebuild.RebuildRecord;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real crash: {@link CrashWriter} runs a nexus in its own JVM and is killed with SIGKILL while
 * 32 writes are in flight and child C is faulted. The nexus re-created here over the same files
 * and log resyncs B from A over the dirty regions only, C returns by a partial rebuild of the same
 * regions, and then the three files are identical and every block checks out.
 */
class NexusCrashTest {

  @TempDir
  Path dir;

  @Test
  void killNineWhileWritingThenPartialResyncAndRebuild() throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-cp", System.getProperty("java.class.path"), CrashWriter.class.getName(),
        dir.toString()).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        out.append(line).append('\n');
        if (line.equals("WRITING")) {
          Thread.sleep(200);
          p.destroyForcibly(); // SIGKILL: no close, no flush, writes in flight
          break;
        }
      }
    }
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertTrue(out.toString().contains("WRITING"), out.toString());

    List<String> uris = CrashWriter.children(dir);
    try (Nexus n = Nexus.create("crash-1", CrashWriter.SIZE, uris.subList(0, 2),
        DeviceOpener.standard(), CrashWriter.options(dir, Duration.ofHours(1)))) {
      int region = n.intentRegionSize();
      long dirty = (long) CrashWriter.REGIONS.length * region;
      assertEquals(CrashWriter.REGIONS.length, n.intentDirtyRegions());
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!n.childState(uris.get(1)).isOnline() && System.nanoTime() < end) {
        Thread.sleep(5);
      }
      RebuildRecord resync = n.rebuildHistory().get(0);
      assertTrue(resync.partial());
      assertEquals(dirty, resync.stats().blocksTotal() * n.blockSize());
      RebuildRecord back = n.addChild(uris.get(2)).get(30, TimeUnit.SECONDS);
      assertTrue(back.partial(), "C was a member: partial rebuild");
      assertEquals(dirty, back.stats().blocksTotal() * n.blockSize(),
          "C copies the dirty regions, not the " + CrashWriter.SIZE + "-byte volume");
      assertEquals(NexusState.ONLINE, n.state());
    }
    byte[] a = Files.readAllBytes(dir.resolve("a.img"));
    assertArrayEquals(a, Files.readAllBytes(dir.resolve("b.img")), "B differs from A");
    assertArrayEquals(a, Files.readAllBytes(dir.resolve("c.img")), "C differs from A");
    for (int off = 0; off < a.length; off += CrashWriter.BLOCK) {
      ByteBuffer b = ByteBuffer.wrap(a, off, CrashWriter.BLOCK).slice();
      assertEquals(off, b.getLong(0), "block at " + off);
      CRC32C c = new CRC32C();
      c.update(b.duplicate().position(0).limit(CrashWriter.BLOCK - 4));
      assertEquals((int) c.getValue(), b.getInt(CrashWriter.BLOCK - 4), "checksum at " + off);
    }
  }
}
