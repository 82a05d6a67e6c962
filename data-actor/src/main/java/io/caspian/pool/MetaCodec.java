package io.caspian.pool;

import io.caspian.pool.MetaEntry.ClustersAllocated;
import io.caspian.pool.MetaEntry.ReplicaCreated;
import io.caspian.pool.MetaEntry.ReplicaDestroyed;
import io.caspian.pool.MetaEntry.ReplicaResized;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * Byte encoding of metadata entries, checkpoints and log records (layouts in {@code
 * package-info.java}). Decoding returns {@code null} for anything that is not a valid, checksummed
 * block of this pool, and throws {@link IllegalArgumentException} when a checksummed block holds
 * entries that do not parse, which only a bug or a forged block can produce.
 */
final class MetaCodec {

  static final long CHECKPOINT_MAGIC = 0x4353504E434B5054L; // "CSPNCKPT"
  static final long LOG_MAGIC = 0x4353504E4C4F4731L; // "CSPNLOG1"
  static final int CHECKPOINT_HEADER = 44;
  private static final int CHECKPOINT_CRC_AT = 40;
  static final int LOG_HEADER = 48;
  private static final int LOG_CRC_AT = Superblock.BLOCK - 4;
  /** Entry bytes one log record holds. */
  static final int LOG_PAYLOAD = LOG_CRC_AT - LOG_HEADER;

  private static final byte CREATED = 1;
  private static final byte DESTROYED = 2;
  private static final byte RESIZED = 3;
  private static final byte ALLOCATED = 4;

  /** A checkpoint as read back. */
  record Checkpoint(long generation, int crc, List<ReplicaCreated> replicas) {}

  /** A log record as read back. */
  record LogRecord(long generation, long seq, int prevCrc, int crc, List<MetaEntry> entries) {}

  private MetaCodec() {}

  static int crc(ByteBuffer b, int from, int to) {
    CRC32C c = new CRC32C();
    c.update(b.duplicate().limit(to).position(from));
    return (int) c.getValue();
  }

  /** Largest possible checkpoint: every replica with a longest name, every cluster its own run. */
  static long checkpointBound(int maxReplicas, long clusters) {
    long perReplica = 1 + 16 + 8 + 1 + 2 + Superblock.MAX_NAME_BYTES + 4;
    return CHECKPOINT_HEADER + maxReplicas * perReplica + clusters * Run.BYTES;
  }

  static int size(MetaEntry e) {
    int body;
    if (e instanceof ReplicaCreated c) {
      body = 8 + 1 + 2 + c.name().getBytes(StandardCharsets.UTF_8).length + 4
          + c.runs().size() * Run.BYTES;
    } else if (e instanceof ReplicaResized r) {
      body = 8 + 4 + r.runs().size() * Run.BYTES;
    } else if (e instanceof ClustersAllocated a) {
      body = 4 + a.runs().size() * Run.BYTES;
    } else {
      body = 0;
    }
    return 1 + 16 + body;
  }

  static int size(Collection<? extends MetaEntry> entries) {
    int n = 0;
    for (MetaEntry e : entries) {
      n += size(e);
    }
    return n;
  }

  static void put(ByteBuffer b, MetaEntry e) {
    if (e instanceof ReplicaCreated c) {
      putId(b, CREATED, e);
      byte[] n = c.name().getBytes(StandardCharsets.UTF_8);
      b.putLong(c.size()).put((byte) (c.thin() ? 1 : 0)).putShort((short) n.length).put(n);
      putRuns(b, c.runs());
    } else if (e instanceof ReplicaDestroyed) {
      putId(b, DESTROYED, e);
    } else if (e instanceof ReplicaResized r) {
      putId(b, RESIZED, e);
      b.putLong(r.size());
      putRuns(b, r.runs());
    } else if (e instanceof ClustersAllocated a) {
      putId(b, ALLOCATED, e);
      putRuns(b, a.runs());
    }
  }

  private static void putId(ByteBuffer b, byte type, MetaEntry e) {
    b.put(type).putLong(e.replica().getMostSignificantBits())
        .putLong(e.replica().getLeastSignificantBits());
  }

  static MetaEntry get(ByteBuffer b) {
    byte type = b.get();
    UUID id = new UUID(b.getLong(), b.getLong());
    switch (type) {
      case CREATED -> {
        long size = b.getLong();
        byte thin = b.get();
        if (thin != 0 && thin != 1) {
          throw new IllegalArgumentException("thin flag " + thin);
        }
        int len = b.getShort() & 0xffff;
        if (len > Superblock.MAX_NAME_BYTES) {
          throw new IllegalArgumentException("name length " + len);
        }
        byte[] n = new byte[len];
        b.get(n);
        return new ReplicaCreated(id, new String(n, StandardCharsets.UTF_8), size, thin == 1,
            getRuns(b));
      }
      case DESTROYED -> {
        return new ReplicaDestroyed(id);
      }
      case RESIZED -> {
        long size = b.getLong();
        return new ReplicaResized(id, size, getRuns(b));
      }
      case ALLOCATED -> {
        return new ClustersAllocated(id, getRuns(b));
      }
      default -> throw new IllegalArgumentException("unknown entry type " + type);
    }
  }

  private static void putRuns(ByteBuffer b, List<Run> runs) {
    b.putInt(runs.size());
    for (Run r : runs) {
      b.putInt(r.logical()).putInt(r.physical()).putInt(r.length());
    }
  }

  private static List<Run> getRuns(ByteBuffer b) {
    int n = b.getInt();
    if (n < 0 || (long) n * Run.BYTES > b.remaining()) {
      throw new IllegalArgumentException("run count " + n);
    }
    List<Run> runs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      runs.add(new Run(b.getInt(), b.getInt(), b.getInt()));
    }
    return runs;
  }

  /** Encodes a checkpoint at position 0 of {@code b}; returns its length (the CRC is inside). */
  static int encodeCheckpoint(ByteBuffer b, UUID pool, long generation,
      Collection<ReplicaCreated> replicas) {
    b.clear();
    b.putLong(CHECKPOINT_MAGIC).putLong(pool.getMostSignificantBits())
        .putLong(pool.getLeastSignificantBits()).putLong(generation).putInt(0)
        .putInt(replicas.size()).putInt(0);
    for (ReplicaCreated r : replicas) {
      put(b, r);
    }
    int len = b.position();
    b.putInt(32, len);
    b.putInt(CHECKPOINT_CRC_AT, checkpointCrc(b, len));
    return len;
  }

  /** The length a checkpoint header announces, to know how much to read; -1 when not one. */
  static int checkpointLength(ByteBuffer head, UUID pool, long slotSize) {
    if (head.getLong(0) != CHECKPOINT_MAGIC || !pool.equals(new UUID(head.getLong(8), head.getLong(16)))) {
      return -1;
    }
    int len = head.getInt(32);
    return len >= CHECKPOINT_HEADER && len <= slotSize ? len : -1;
  }

  static Checkpoint decodeCheckpoint(ByteBuffer b, UUID pool, long slotSize) {
    int len = checkpointLength(b, pool, slotSize);
    if (len < 0 || len > b.capacity() || b.getInt(CHECKPOINT_CRC_AT) != checkpointCrc(b, len)) {
      return null;
    }
    ByteBuffer r = b.duplicate().limit(len).position(CHECKPOINT_HEADER);
    int count = b.getInt(36);
    List<ReplicaCreated> replicas = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      if (!(get(r) instanceof ReplicaCreated c)) {
        throw new IllegalArgumentException("checkpoint entry " + i + " is not a replica");
      }
      replicas.add(c);
    }
    if (r.hasRemaining()) {
      throw new IllegalArgumentException(r.remaining() + " stray bytes after the replicas");
    }
    return new Checkpoint(b.getLong(24), b.getInt(CHECKPOINT_CRC_AT), replicas);
  }

  private static int checkpointCrc(ByteBuffer b, int len) {
    CRC32C c = new CRC32C();
    c.update(b.duplicate().limit(CHECKPOINT_CRC_AT).position(0));
    c.update(b.duplicate().limit(len).position(CHECKPOINT_CRC_AT + 4));
    return (int) c.getValue();
  }

  /** Encodes one log block at position 0 of {@code b}; returns its CRC. */
  static int encodeRecord(ByteBuffer b, UUID pool, long generation, long seq, int prevCrc,
      List<MetaEntry> entries) {
    int payload = size(entries);
    if (payload > LOG_PAYLOAD) {
      throw new IllegalArgumentException(payload + " bytes of entries do not fit a log record");
    }
    b.clear();
    b.putLong(LOG_MAGIC).putLong(pool.getMostSignificantBits())
        .putLong(pool.getLeastSignificantBits()).putLong(generation).putLong(seq).putInt(prevCrc)
        .putShort((short) entries.size()).putShort((short) payload);
    for (MetaEntry e : entries) {
      put(b, e);
    }
    while (b.position() < LOG_CRC_AT) {
      b.put((byte) 0);
    }
    int crc = crc(b, 0, LOG_CRC_AT);
    b.putInt(LOG_CRC_AT, crc);
    return crc;
  }

  static LogRecord decodeRecord(ByteBuffer b, UUID pool) {
    if (b.getLong(0) != LOG_MAGIC || !pool.equals(new UUID(b.getLong(8), b.getLong(16)))
        || b.getInt(LOG_CRC_AT) != crc(b, 0, LOG_CRC_AT)) {
      return null;
    }
    int count = b.getShort(44) & 0xffff;
    int payload = b.getShort(46) & 0xffff;
    if (payload > LOG_PAYLOAD) {
      throw new IllegalArgumentException("payload length " + payload);
    }
    ByteBuffer r = b.duplicate().limit(LOG_HEADER + payload).position(LOG_HEADER);
    List<MetaEntry> entries = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      entries.add(get(r));
    }
    if (r.hasRemaining()) {
      throw new IllegalArgumentException(r.remaining() + " stray bytes after the entries");
    }
    return new LogRecord(b.getLong(24), b.getLong(32), b.getInt(40), b.getInt(LOG_CRC_AT), entries);
  }
}
