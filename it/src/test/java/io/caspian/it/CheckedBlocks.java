package io.caspian.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.SyncIo;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * Blocks of random data written through a volume, each remembered by its CRC32C once the write was acknowledged,
 * so that any later read-back proves no acknowledged write was lost, whichever path or target serves it.
 */
final class CheckedBlocks {
    static final int BLOCK = 64 * 1024;

    private final Map<Long, Long> written = new LinkedHashMap<>();
    private final ByteBuffer buf = DirectMemory.allocate(BLOCK);

    /** Writes {@code count} blocks from {@code offset}; returns the longest single write in ms. */
    long write(BlockDevice dev, long offset, int count) throws Exception {
        long longest = 0;
        for (int i = 0; i < count; i++) {
            long at = offset + (long) i * BLOCK;
            SplittableRandom r = new SplittableRandom(at ^ System.nanoTime());
            for (int j = 0; j < BLOCK; j += 8) {
                buf.putLong(j, r.nextLong());
            }
            long t0 = System.nanoTime();
            SyncIo.write(dev, at, buf, 0, BLOCK);
            longest = Math.max(longest, (System.nanoTime() - t0) / 1_000_000);
            written.put(at, crc(buf));
        }
        return longest;
    }

    /** Reads back every block written so far and compares its checksum. */
    void verify(BlockDevice dev) throws Exception {
        for (Map.Entry<Long, Long> w : written.entrySet()) {
            SyncIo.read(dev, w.getKey(), buf, 0, BLOCK);
            assertEquals(w.getValue(), crc(buf), "block at " + w.getKey() + " reads back wrong");
        }
    }

    int count() {
        return written.size();
    }

    private static long crc(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate().clear().limit(BLOCK));
        return c.getValue();
    }
}
