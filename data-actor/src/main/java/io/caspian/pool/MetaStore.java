package io.caspian.pool;

import static io.caspian.pool.PoolException.Kind.CORRUPT;
import static io.caspian.pool.PoolException.Kind.IO;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.SyncIo;
import io.caspian.pool.MetaCodec.Checkpoint;
import io.caspian.pool.MetaCodec.LogRecord;
import io.caspian.pool.MetaEntry.ReplicaCreated;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The metadata area on disk: two checkpoint slots and the log. Loading only reads; writing is
 * always "write, then flush", so a change is durable when a write method returns.
 *
 * <p>Not thread-safe: the metadata writer thread owns it after import.
 */
final class MetaStore {

  private static final int BLOCK = Superblock.BLOCK;

  private final BlockDevice disk;
  private final Superblock sb;
  private final ByteBuffer block = DirectMemory.allocate(BLOCK);
  private ByteBuffer checkpointBuf;
  private long generation;
  private boolean activeIsB;
  private int nextSeq;
  private int prevCrc;

  /** A store positioned after the last valid record, and the state it describes. */
  record Loaded(MetaStore store, PoolState state) {}

  private MetaStore(BlockDevice disk, Superblock sb, long generation, boolean activeIsB,
      int nextSeq, int prevCrc) {
    this.disk = disk;
    this.sb = sb;
    this.generation = generation;
    this.activeIsB = activeIsB;
    this.nextSeq = nextSeq;
    this.prevCrc = prevCrc;
  }

  /** Writes generation 1, an empty checkpoint, into slot A of a zeroed metadata area. */
  static MetaStore format(BlockDevice disk, Superblock sb) throws BdevException {
    MetaStore m = new MetaStore(disk, sb, 0, true, 0, 0);
    m.checkpoint(List.of());
    return m;
  }

  /** Reads the newest valid checkpoint and replays the log; writes nothing. */
  static Loaded load(BlockDevice disk, Superblock sb) throws PoolException {
    String uri = disk.uri();
    Checkpoint a = readCheckpoint(disk, sb, sb.checkpointA(), "A");
    Checkpoint b = readCheckpoint(disk, sb, sb.checkpointB(), "B");
    if (a == null && b == null) {
      throw PoolException.of(CORRUPT, uri, "pool '" + sb.name()
          + "': neither metadata checkpoint slot holds a valid checkpoint");
    }
    boolean useB = a == null || (b != null && b.generation() > a.generation());
    Checkpoint cp = useB ? b : a;
    PoolState state = new PoolState(sb);
    try {
      for (ReplicaCreated r : cp.replicas()) {
        state.apply(r);
      }
    } catch (IllegalStateException e) {
      throw corrupt(uri, "checkpoint generation " + cp.generation() + " is inconsistent: "
          + e.getMessage(), e);
    }
    ByteBuffer log = DirectMemory.allocate(sb.logBlocks() * BLOCK);
    try {
      SyncIo.read(disk, sb.logOffset(), log, 0, log.capacity());
    } catch (BdevException e) {
      throw PoolException.of(IO, uri, "cannot read the pool metadata log", e);
    }
    int prev = cp.crc();
    int seq = 0;
    for (; seq < sb.logBlocks(); seq++) {
      LogRecord r = record(uri, log, seq, sb);
      if (r == null || r.generation() != cp.generation() || r.seq() != seq || r.prevCrc() != prev) {
        break;
      }
      try {
        for (MetaEntry e : r.entries()) {
          state.apply(e);
        }
      } catch (IllegalStateException e) {
        throw corrupt(uri, "log record " + seq + " of generation " + cp.generation()
            + " does not apply: " + e.getMessage(), e);
      }
      prev = r.crc();
    }
    // Records are written one at a time, each flushed before the next, and a new generation's
    // log starts only once its checkpoint is durable: a valid record past the end of the replayed
    // chain, or of a newer generation, means damage rather than an interrupted write.
    for (int s = seq; s < sb.logBlocks(); s++) {
      LogRecord r = record(uri, log, s, sb);
      if (r != null && r.generation() > cp.generation()) {
        throw corrupt(uri, "log record " + s + " belongs to generation " + r.generation()
            + " but the newest valid checkpoint is generation " + cp.generation()
            + ": the newer checkpoint is damaged", null);
      }
      if (r != null && s > seq && r.generation() == cp.generation() && r.seq() == s) {
        throw corrupt(uri, "log record " + seq + " of generation " + cp.generation()
            + " is damaged but record " + s + " follows it", null);
      }
    }
    MetaStore store = new MetaStore(disk, sb, cp.generation(), useB, seq, prev);
    return new Loaded(store, state);
  }

  private static LogRecord record(String uri, ByteBuffer log, int seq, Superblock sb)
      throws PoolException {
    ByteBuffer one = log.duplicate().position(seq * BLOCK).limit((seq + 1) * BLOCK).slice();
    try {
      return MetaCodec.decodeRecord(one, sb.uuid());
    } catch (IllegalArgumentException | BufferUnderflowException e) {
      throw corrupt(uri, "log record " + seq + " has a valid checksum but does not parse: "
          + e.getMessage(), e);
    }
  }

  private static Checkpoint readCheckpoint(BlockDevice disk, Superblock sb, long offset,
      String slot) throws PoolException {
    try {
      ByteBuffer head = DirectMemory.allocate(BLOCK);
      SyncIo.read(disk, offset, head, 0, BLOCK);
      int len = MetaCodec.checkpointLength(head, sb.uuid(), sb.checkpointSize());
      if (len < 0) {
        return null;
      }
      ByteBuffer all = head;
      if (len > BLOCK) {
        all = DirectMemory.allocate((int) Superblock.roundUp(len, BLOCK));
        SyncIo.read(disk, offset, all, 0, all.capacity());
      }
      return MetaCodec.decodeCheckpoint(all, sb.uuid(), sb.checkpointSize());
    } catch (BdevException e) {
      throw PoolException.of(IO, disk.uri(), "cannot read metadata checkpoint " + slot, e);
    } catch (IllegalArgumentException | BufferUnderflowException e) {
      throw corrupt(disk.uri(), "checkpoint " + slot + " has a valid checksum but does not parse: "
          + e.getMessage(), e);
    }
  }

  private static PoolException corrupt(String uri, String message, Throwable cause) {
    return PoolException.of(CORRUPT, uri, "pool metadata is corrupt: " + message, cause);
  }

  /** Whether {@code entries} fit the next log record; if not, write a checkpoint instead. */
  boolean fits(List<MetaEntry> entries) {
    return nextSeq < sb.logBlocks() && MetaCodec.size(entries) <= MetaCodec.LOG_PAYLOAD;
  }

  /** Appends one record and flushes. */
  void append(List<MetaEntry> entries) throws BdevException {
    int crc = MetaCodec.encodeRecord(block, sb.uuid(), generation, nextSeq, prevCrc, entries);
    SyncIo.write(disk, sb.logOffset() + (long) nextSeq * BLOCK, block, 0, BLOCK);
    SyncIo.flush(disk);
    prevCrc = crc;
    nextSeq++;
  }

  /**
   * Writes the whole state as the next generation into the inactive slot and flushes; the log
   * then restarts at record 0. Until the flush returns the active slot and its log stay valid.
   */
  void checkpoint(List<ReplicaCreated> replicas) throws BdevException {
    if (checkpointBuf == null) {
      checkpointBuf = DirectMemory.allocate((int) sb.checkpointSize());
    }
    long gen = generation + 1;
    int len = MetaCodec.encodeCheckpoint(checkpointBuf, sb.uuid(), gen, replicas);
    int crc = checkpointBuf.getInt(40);
    long slot = activeIsB ? sb.checkpointA() : sb.checkpointB();
    SyncIo.write(disk, slot, checkpointBuf, 0, (int) Superblock.roundUp(len, BLOCK));
    SyncIo.flush(disk);
    generation = gen;
    activeIsB = !activeIsB;
    nextSeq = 0;
    prevCrc = crc;
  }
}
