package io.caspian.nexus;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.IoCompletion;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.zip.CRC32C;

/**
 * The io-engine of {@link NexusCrashTest}, run in a JVM of its own and killed with SIGKILL: a
 * nexus over three file children with its write-intent log fills the volume, lets the log clear,
 * faults child C, then writes checksummed 4 KiB blocks into four regions, 32 at a time, until it
 * dies. Prints FAULTED and WRITING as it goes.
 */
final class CrashWriter {

  static final long SIZE = 16L << 20;
  static final int BLOCK = 4096;
  static final int[] REGIONS = {2, 5, 6, 11};

  private CrashWriter() {}

  static List<String> children(Path dir) {
    return List.of("a", "b", "c").stream()
        .map(n -> "file://" + dir.resolve(n + ".img") + "?size_mb=" + (SIZE >> 20) + "&blk_size=4096")
        .toList();
  }

  static NexusOptions options(Path dir, Duration clearEvery) {
    return NexusOptions.defaults()
        .withIntentLog(new IntentLogOptions(dir.resolve("crash.wil"), clearEvery));
  }

  /** A block that says where it belongs and checks itself. */
  static void fill(ByteBuffer b, long offset, long seq, SplittableRandom rnd) {
    b.putLong(0, offset);
    b.putLong(8, seq);
    for (int i = 16; i < BLOCK - 4; i += 4) {
      b.putInt(i, rnd.nextInt());
    }
    CRC32C c = new CRC32C();
    c.update(b.duplicate().position(0).limit(BLOCK - 4));
    b.putInt(BLOCK - 4, (int) c.getValue());
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    List<String> uris = children(dir);
    Nexus n = Nexus.create("crash-1", SIZE, uris, DeviceOpener.standard(),
        options(dir, Duration.ofMillis(20)));
    SplittableRandom rnd = new SplittableRandom(7);
    int inFlight = 32;
    Semaphore slots = new Semaphore(inFlight);
    ByteBuffer[] bufs = new ByteBuffer[inFlight];
    for (int i = 0; i < inFlight; i++) {
      bufs[i] = NexusTest.buffer(BLOCK);
    }
    long seq = 0;
    for (long off = 0; off < SIZE; off += BLOCK * inFlight) {
      for (int i = 0; i < inFlight; i++) {
        slots.acquire();
        fill(bufs[i], off + (long) i * BLOCK, ++seq, rnd);
        n.write(off + (long) i * BLOCK, bufs[i], 0, BLOCK, done(slots));
      }
      slots.acquire(inFlight);
      slots.release(inFlight);
    }
    while (n.intentDirtyRegions() != 0) {
      Thread.sleep(5);
    }
    n.faultChild(uris.get(2));
    System.out.println("FAULTED");
    int region = n.intentRegionSize();
    int perRegion = region / BLOCK;
    for (long round = 0; ; round++) {
      long base = REGIONS[(int) (round % REGIONS.length)] * (long) perRegion;
      for (int i = 0; i < inFlight; i++) {
        slots.acquire();
        // Distinct blocks in one round: no two writes of the same block are in flight at once.
        long off = (base + (rnd.nextInt(perRegion / inFlight) * inFlight + i)) * BLOCK;
        fill(bufs[i], off, ++seq, rnd);
        n.write(off, bufs[i], 0, BLOCK, done(slots));
      }
      slots.acquire(inFlight);
      slots.release(inFlight);
      if (round == 8) {
        System.out.println("WRITING");
      }
    }
  }

  private static IoCompletion done(Semaphore slots) {
    return (BdevException e) -> {
      if (e != null) {
        System.out.println("WRITE FAILED " + e);
        System.exit(3);
      }
      slots.release();
    };
  }
}
