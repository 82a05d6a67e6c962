package io.caspian.pool;

import static io.caspian.pool.PoolException.Kind.CORRUPT;
import static io.caspian.pool.PoolException.Kind.INVALID;
import static io.caspian.pool.PoolException.Kind.NOT_A_POOL;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The first 4 KiB of a pool disk: identity and layout, written once at create and never changed
 * (destroy zeroes it). See {@code package-info.java} for the byte layout.
 */
record Superblock(
    UUID uuid,
    String name,
    long clusterSize,
    int blockSize,
    long deviceSize,
    int maxReplicas,
    long checkpointA,
    long checkpointB,
    long checkpointSize,
    long logOffset,
    int logBlocks,
    long dataOffset,
    int clusterCount) {

  static final long MAGIC = 0x4353504E504F4F4CL; // "CSPNPOOL"
  static final int VERSION = 1;
  /** Size of the superblock and of every metadata block. */
  static final int BLOCK = 4096;
  static final int MAX_REPLICAS = 1024;
  static final int MAX_NAME_BYTES = 255;
  static final long MIN_CLUSTER = 64 << 10;
  static final int DEFAULT_LOG_BLOCKS = 256;
  static final int MAX_LOG_BLOCKS = 1 << 16;
  /** Checkpoint slots are written from one buffer: 1 GiB covers 89 M clusters. */
  static final long MAX_CHECKPOINT = 1L << 30;
  private static final int CRC_AT = BLOCK - 4;
  private static final int NAME_AT = 112;

  /** Lays out a new pool on a disk of {@code deviceSize} bytes. */
  static Superblock layout(String uri, UUID uuid, String name, long clusterSize, int blockSize,
      long deviceSize, int logBlocks) throws PoolException {
    checkName(uri, "pool", name);
    if (clusterSize < MIN_CLUSTER || Long.bitCount(clusterSize) != 1 || clusterSize > (1L << 30)) {
      throw PoolException.of(INVALID, uri, "cluster size " + clusterSize
          + " must be a power of two between " + MIN_CLUSTER + " and 1 GiB");
    }
    if (logBlocks < 2 || logBlocks > MAX_LOG_BLOCKS) {
      throw PoolException.of(INVALID, uri, "the log needs 2 to " + MAX_LOG_BLOCKS
          + " blocks, not " + logBlocks);
    }
    long worstClusters = deviceSize / clusterSize;
    long ckpt = roundUp(MetaCodec.checkpointBound(MAX_REPLICAS, worstClusters), BLOCK);
    if (ckpt > MAX_CHECKPOINT) {
      throw PoolException.of(INVALID, uri, "disk of " + deviceSize + " bytes has too many "
          + clusterSize + "-byte clusters for the metadata; choose a larger cluster size");
    }
    long a = BLOCK;
    long b = a + ckpt;
    long log = b + ckpt;
    long data = roundUp(log + (long) logBlocks * BLOCK, Math.min(clusterSize, 1 << 20));
    long clusters = deviceSize > data ? (deviceSize - data) / clusterSize : 0;
    if (clusters < 1) {
      throw PoolException.of(INVALID, uri, "disk of " + deviceSize + " bytes is too small for a pool"
          + " with " + clusterSize + "-byte clusters: metadata alone takes " + data + " bytes");
    }
    if (clusters >= Integer.MAX_VALUE) {
      throw PoolException.of(INVALID, uri, "disk of " + deviceSize + " bytes has too many "
          + clusterSize + "-byte clusters; choose a larger cluster size");
    }
    return new Superblock(uuid, name, clusterSize, blockSize, deviceSize, MAX_REPLICAS, a, b, ckpt,
        log, logBlocks, data, (int) clusters);
  }

  static void checkName(String where, String what, String name) throws PoolException {
    if (name == null || name.isEmpty()) {
      throw PoolException.of(INVALID, where, what + " name must not be empty");
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
      throw PoolException.of(INVALID, where, what + " name '" + name + "' is longer than "
          + MAX_NAME_BYTES + " bytes of UTF-8");
    }
  }

  static long roundUp(long v, long to) {
    return (v + to - 1) / to * to;
  }

  int clusterShift() {
    return Long.numberOfTrailingZeros(clusterSize);
  }

  /** Byte offset on the disk of a physical cluster. */
  long clusterOffset(int physical) {
    return dataOffset + ((long) physical << clusterShift());
  }

  /** Bytes from the start of the disk to the end of the log: what create zeroes. */
  long metadataEnd() {
    return logOffset + (long) logBlocks * BLOCK;
  }

  void encode(ByteBuffer b) {
    for (int i = 0; i < BLOCK; i++) {
      b.put(i, (byte) 0);
    }
    b.putLong(0, MAGIC);
    b.putInt(8, VERSION);
    b.putInt(12, BLOCK);
    b.putLong(16, uuid.getMostSignificantBits());
    b.putLong(24, uuid.getLeastSignificantBits());
    b.putLong(32, clusterSize);
    b.putInt(40, blockSize);
    b.putInt(44, maxReplicas);
    b.putLong(48, deviceSize);
    b.putLong(56, checkpointA);
    b.putLong(64, checkpointB);
    b.putLong(72, checkpointSize);
    b.putLong(80, logOffset);
    b.putInt(88, logBlocks);
    b.putLong(96, dataOffset);
    b.putLong(104, clusterCount);
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    b.putShort(NAME_AT, (short) n.length);
    b.put(NAME_AT + 2, n);
    b.putInt(CRC_AT, MetaCodec.crc(b, 0, CRC_AT));
  }

  /** Whether a superblock area carries the pool magic. */
  static boolean hasMagic(ByteBuffer b) {
    return b.getLong(0) == MAGIC;
  }

  /** Reads and checks a superblock against the disk it was read from. */
  static Superblock decode(String uri, ByteBuffer b, int diskBlockSize, long diskSize)
      throws PoolException {
    if (!hasMagic(b)) {
      throw PoolException.of(NOT_A_POOL, uri, "no Caspian pool superblock (magic not found)");
    }
    if (b.getInt(CRC_AT) != MetaCodec.crc(b, 0, CRC_AT)) {
      throw PoolException.of(CORRUPT, uri, "pool superblock checksum mismatch");
    }
    int version = b.getInt(8);
    if (version != VERSION) {
      throw PoolException.of(CORRUPT, uri, "pool format version " + version
          + " is not supported (this build reads version " + VERSION + ")");
    }
    UUID uuid = new UUID(b.getLong(16), b.getLong(24));
    int nameLen = b.getShort(NAME_AT) & 0xffff;
    if (nameLen > MAX_NAME_BYTES) {
      throw PoolException.of(CORRUPT, uri, "pool superblock name length " + nameLen);
    }
    byte[] n = new byte[nameLen];
    b.get(NAME_AT + 2, n);
    long clusterCount = b.getLong(104);
    Superblock sb = new Superblock(uuid, new String(n, StandardCharsets.UTF_8), b.getLong(32),
        b.getInt(40), b.getLong(48), b.getInt(44), b.getLong(56), b.getLong(64), b.getLong(72),
        b.getLong(80), b.getInt(88), b.getLong(96), (int) clusterCount);
    String bad = sb.inconsistency(clusterCount);
    if (bad != null) {
      throw PoolException.of(CORRUPT, uri, "pool superblock layout is inconsistent: " + bad);
    }
    if (sb.blockSize != diskBlockSize) {
      throw PoolException.of(CORRUPT, uri, "pool was made on a disk with " + sb.blockSize
          + "-byte blocks but the disk now has " + diskBlockSize + "-byte blocks");
    }
    if (diskSize < sb.dataOffset + (long) sb.clusterCount * sb.clusterSize) {
      throw PoolException.of(CORRUPT, uri, "disk of " + diskSize + " bytes is smaller than the pool ("
          + (sb.dataOffset + (long) sb.clusterCount * sb.clusterSize) + " bytes)");
    }
    return sb;
  }

  /** What is wrong with a decoded layout, or null; guards import against nonsense offsets. */
  private String inconsistency(long clusters) {
    if (clusterSize < MIN_CLUSTER || Long.bitCount(clusterSize) != 1) {
      return "cluster size " + clusterSize;
    }
    if (blockSize != 512 && blockSize != 4096) {
      return "block size " + blockSize;
    }
    if (maxReplicas < 1 || maxReplicas > MAX_REPLICAS || logBlocks < 2
        || logBlocks > MAX_LOG_BLOCKS) {
      return "max replicas " + maxReplicas + ", log blocks " + logBlocks;
    }
    if (checkpointA != BLOCK || checkpointSize < BLOCK || checkpointSize > MAX_CHECKPOINT || checkpointSize % BLOCK != 0
        || checkpointB != checkpointA + checkpointSize || logOffset != checkpointB + checkpointSize
        || dataOffset < metadataEnd() || clusters < 1 || clusters >= Integer.MAX_VALUE) {
      return "checkpoints at " + checkpointA + "/" + checkpointB + " (" + checkpointSize
          + " bytes), log at " + logOffset + ", data at " + dataOffset + ", " + clusters + " clusters";
    }
    if (MetaCodec.checkpointBound(maxReplicas, clusters) > checkpointSize) {
      return "checkpoint slots of " + checkpointSize + " bytes cannot hold the worst case";
    }
    return null;
  }
}
