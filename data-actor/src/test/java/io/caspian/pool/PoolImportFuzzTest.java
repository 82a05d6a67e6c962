package io.caspian.pool;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.ForwardingDevice;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes pool import (superblock, checkpoint and log decoding, then replay) on the metadata of a
 * real pool with replicas created, resized and destroyed. Each input overwrites a few byte ranges
 * of the superblock, either checkpoint slot or a log block, and may have the harness write a
 * correct checksum over the damaged block, so that the decoders behind the checksums are reached.
 * Import must then either succeed (and the pool verify, list and export) or fail with a {@link
 * PoolException}: any other exception, an out-of-memory from a fuzzed length or a hang is a bug.
 */
class PoolImportFuzzTest {

  private static final int BLOCK = Superblock.BLOCK;
  private static final long SIZE = 2 << 20;
  private static final int LOG_BLOCKS = 4;

  /** One disk for every input: export would close it, and a new one per input costs more than the import. */
  private static BlockDevice disk;
  private static Superblock sb;
  /** The pristine metadata area, restored before every input. */
  private static ByteBuffer pristine;
  private static ByteBuffer work;

  @BeforeAll
  static void formatAPool() throws PoolException, BdevException {
    disk = new MallocDevice("malloc:///pool-fuzz", SIZE, 512);
    UUID uuid = UUID.nameUUIDFromBytes("pool-fuzz".getBytes());
    Pool pool = Pool.create(disk, "fuzz", uuid, Superblock.MIN_CLUSTER, false, LOG_BLOCKS);
    UUID thick = new UUID(1, 1);
    UUID thin = new UUID(2, 2);
    UUID gone = new UUID(3, 3);
    pool.createReplica(thick, "thick", 3 * Superblock.MIN_CLUSTER, false);
    pool.createReplica(thin, "thin", 8 * Superblock.MIN_CLUSTER, true);
    pool.createReplica(gone, "gone", Superblock.MIN_CLUSTER, false);
    pool.resizeReplica(thick, 4 * Superblock.MIN_CLUSTER);
    pool.destroyReplica(gone);
    sb = Superblock.layout(disk.uri(), uuid, "fuzz", Superblock.MIN_CLUSTER, 512, SIZE,
        LOG_BLOCKS);
    int end = (int) sb.metadataEnd();
    pristine = DirectMemory.allocate(end);
    // Every metadata change is on the disk when its call returns.
    SyncIo.read(disk, 0, pristine, 0, end);
    work = DirectMemory.allocate(end);
    pool.export();
    disk = new ForwardingDevice(new MallocDevice("malloc:///pool-fuzz", SIZE, 512)) {
      @Override
      public void close() {
        // Kept open for the next input.
      }
    };
  }

  @FuzzTest(maxDuration = "30s")
  void damagedMetadataImportsOrFailsAsCorrupt(FuzzedDataProvider data) throws BdevException {
    work.clear();
    work.put(pristine.duplicate().clear());
    int blocks = 3 + LOG_BLOCKS;
    int damages = data.consumeInt(1, 6);
    for (int i = 0; i < damages; i++) {
      int block = data.consumeInt(0, blocks - 1);
      int at = data.consumeInt(0, BLOCK - 1);
      byte[] bytes = data.consumeBytes(data.consumeInt(1, 16));
      int base = blockOffset(block);
      work.put(base + at, bytes, 0, Math.min(bytes.length, BLOCK - at));
      if (data.consumeBoolean()) {
        writeChecksum(block, base);
      }
    }
    SyncIo.write(disk, 0, work, 0, work.capacity());
    Pool pool;
    try {
      pool = Pool.importFrom(disk);
    } catch (PoolException e) {
      return;
    }
    try {
      pool.verify();
      pool.replicas();
      pool.stats();
    } catch (PoolException e) {
      // Import accepted it; a later check may still find it corrupt, with the pool's own error.
    } finally {
      try {
        pool.export();
      } catch (PoolException e) {
        // Already closed by a failed metadata write: the pool's own error again.
      }
    }
  }

  /** Block 0 is the superblock, 1 and 2 the first blocks of the checkpoint slots, then the log. */
  private static int blockOffset(int block) {
    return switch (block) {
      case 0 -> 0;
      case 1 -> (int) sb.checkpointA();
      case 2 -> (int) sb.checkpointB();
      default -> (int) sb.logOffset() + (block - 3) * BLOCK;
    };
  }

  /** The checksum the block's format puts where its format puts it, over the damaged bytes. */
  private static void writeChecksum(int block, int base) {
    ByteBuffer b = work.duplicate().position(base).limit(base + BLOCK).slice();
    if (block == 1 || block == 2) {
      // A checkpoint's CRC covers its header around the CRC field and its announced length.
      int len = Math.max(MetaCodec.CHECKPOINT_HEADER, Math.min(BLOCK, b.getInt(32)));
      CRC32C c = new CRC32C();
      c.update(b.duplicate().position(0).limit(40));
      c.update(b.duplicate().position(44).limit(len));
      b.putInt(40, (int) c.getValue());
    } else {
      b.putInt(BLOCK - 4, MetaCodec.crc(b, 0, BLOCK - 4));
    }
  }
}
