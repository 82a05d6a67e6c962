package io.caspian.pool;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.IoChecks;
import io.caspian.bdev.IoCompletion;
import io.caspian.bdev.IoCounters;
import io.caspian.bdev.IoStats;
import io.caspian.bdev.IoTimer;
import io.caspian.bdev.IoType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A logical volume in a pool, as a block device ({@code bdev:///<uuid>}). Offsets map through
 * the replica's extent map onto the pool disk.
 *
 * <p>Hot path: an I/O inside one allocated cluster is translated and handed to the disk with the
 * caller's own completion, allocating nothing. An I/O that crosses clusters is split (one small
 * context). Reads of unallocated clusters are zeroes, without disk I/O. The first write to an
 * unallocated cluster of a thin replica queues an allocation with the pool's metadata writer and
 * returns; the write is issued once the allocation is durable, and writes arriving meanwhile for
 * the same cluster wait for the same allocation.
 *
 * <p>Every read and write it serves, from a local nexus, its NVMe/TCP target or a rebuild, is
 * counted for the metrics (Mayastor's replica_* figures) unless the pool's I/O counting is off:
 * through a pooled {@link IoTimer} context, because the fast path has no context of its own.
 *
 * <p>The pool owns its replicas: {@link #close()} (done by destroy and export) fails I/O
 * submitted afterwards with CLOSED. I/O already handed to the disk is not waited for; users
 * (nexus, targets) drain their I/O before they ask for a destroy or a shrink.
 */
public final class Replica implements BlockDevice {

  /** Largest extent map, in clusters (4 PiB at 4 MiB clusters). */
  static final int MAX_CLUSTERS = 1 << 30;

  private static final int TIMED_IN_FLIGHT = 1024;

  private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(int[].class);

  /** A write waiting for its cluster's allocation. */
  private record PendingWrite(long offset, ByteBuffer buf, int bufOffset, int length,
      IoCompletion done) {}

  private final MetaWriter writer;
  private final BlockDevice disk;
  private final UUID uuid;
  private final String name;
  private final boolean thin;
  private final String uri;
  private final int blockSize;
  private final long dataOffset;
  private final int shift;
  private final long mask;
  /** Physical cluster + 1 per logical cluster, 0 when unallocated; never shorter than size. */
  private volatile int[] map;
  private volatile long size;
  private volatile boolean closed;
  private final Object lock = new Object();
  private final Map<Integer, List<PendingWrite>> pending = new HashMap<>();
  private final IoCounters counters = new IoCounters();
  /** Timing contexts, made as I/Os need them: a deep NVMe/TCP queue's worth at most. */
  private final IoTimer timer = new IoTimer(counters, TIMED_IN_FLIGHT);

  Replica(MetaWriter writer, BlockDevice disk, Superblock sb, UUID uuid, String name, boolean thin,
      long size, int[] map) {
    this.writer = writer;
    this.disk = disk;
    this.uuid = uuid;
    this.name = name;
    this.thin = thin;
    this.uri = "bdev:///" + uuid;
    this.blockSize = sb.blockSize();
    this.dataOffset = sb.dataOffset();
    this.shift = sb.clusterShift();
    this.mask = sb.clusterSize() - 1;
    this.map = map;
    this.size = size;
  }

  public UUID uuid() {
    return uuid;
  }

  public String name() {
    return name;
  }

  public boolean thin() {
    return thin;
  }

  /** Bytes of pool space this replica holds. */
  public long allocatedBytes() {
    int[] m = map;
    int clusters = (int) ((size + mask) >>> shift);
    long n = 0;
    for (int i = 0; i < clusters; i++) {
      if (slot(m, i) != 0) {
        n++;
      }
    }
    return n << shift;
  }

  /** Reads and writes served since the replica was opened (this process). */
  public IoStats ioStats() {
    return counters.snapshot();
  }

  @Override
  public String uri() {
    return uri;
  }

  @Override
  public int blockSize() {
    return blockSize;
  }

  @Override
  public long blockCount() {
    return size / blockSize;
  }

  @Override
  public int bufferAlignment() {
    return disk.bufferAlignment();
  }

  @Override
  public boolean mayHoldData(long offset, long length) {
    if (!thin) {
      return true;
    }
    int[] m = map;
    long last = Math.min((offset + Math.max(length, 1) - 1) >>> shift, m.length - 1L);
    for (long lc = Math.max(0, offset >>> shift); lc <= last; lc++) {
      if (slot(m, (int) lc) != 0) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    BdevException err = closed ? closedError()
        : IoChecks.data(this, IoType.READ, offset, buf, bufOffset, length);
    if (err != null) {
      done.ioDone(err);
      return;
    }
    done = counted(IoType.READ, length, done);
    int lc = (int) (offset >>> shift);
    if ((offset + length - 1) >>> shift == lc) {
      int p = slot(map, lc);
      if (p != 0) {
        disk.read(physical(p, offset), buf, bufOffset, length, done);
      } else {
        DirectMemory.fill(DirectMemory.address(buf) + bufOffset, length, (byte) 0);
        done.ioDone(null);
      }
      return;
    }
    split(IoType.READ, offset, buf, bufOffset, length, done);
  }

  @Override
  public void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    BdevException err = closed ? closedError()
        : IoChecks.data(this, IoType.WRITE, offset, buf, bufOffset, length);
    if (err != null) {
      done.ioDone(err);
      return;
    }
    done = counted(IoType.WRITE, length, done);
    int lc = (int) (offset >>> shift);
    if ((offset + length - 1) >>> shift == lc) {
      int p = slot(map, lc);
      if (p != 0) {
        disk.write(physical(p, offset), buf, bufOffset, length, done);
        return;
      }
    }
    split(IoType.WRITE, offset, buf, bufOffset, length, done);
  }

  @Override
  public void flush(IoCompletion done) {
    if (closed) {
      done.ioDone(closedError());
    } else {
      disk.flush(done);
    }
  }

  /** Unmaps the allocated part of the range on the disk; unallocated clusters are left alone. */
  @Override
  public void unmap(long offset, long length, IoCompletion done) {
    BdevException err = closed ? closedError() : IoChecks.range(this, IoType.UNMAP, offset, length);
    if (err != null) {
      done.ioDone(err);
    } else {
      split(IoType.UNMAP, offset, null, 0, length, done);
    }
  }

  /** Zeroes the allocated part of the range; unallocated clusters already read as zeroes. */
  @Override
  public void writeZeroes(long offset, long length, IoCompletion done) {
    BdevException err = closed ? closedError()
        : IoChecks.range(this, IoType.WRITE_ZEROES, offset, length);
    if (err != null) {
      done.ioDone(err);
    } else {
      split(IoType.WRITE_ZEROES, offset, null, 0, length, done);
    }
  }

  /** Closes the replica: I/O submitted from now on fails with CLOSED. */
  @Override
  public void close() {
    closed = true;
  }

  boolean isClosed() {
    return closed;
  }

  /** The current extent map as runs (tests check cluster ownership with it). */
  List<Run> extents() {
    return Run.of(map, (int) ((size + mask) >>> shift));
  }

  private static int slot(int[] m, int lc) {
    return lc < m.length ? (int) SLOT.getAcquire(m, lc) : 0;
  }

  private long physical(int p, long offset) {
    return dataOffset + ((long) (p - 1) << shift) + (offset & mask);
  }

  private IoCompletion counted(IoType type, int length, IoCompletion done) {
    return writer.countIo ? timer.start(type, length, done) : done;
  }

  private BdevException closedError() {
    return BdevException.io(BdevException.Kind.CLOSED, uri, "replica is closed");
  }

  /**
   * The rare path: walks the range cluster by cluster, merging neighbours that are contiguous on
   * disk (or all unallocated), and completes {@code done} when every piece has.
   */
  private void split(IoType type, long offset, ByteBuffer buf, int bufOffset, long length,
      IoCompletion done) {
    Split s = new Split(done);
    long end = offset + length;
    long pos = offset;
    while (pos < end) {
      int lc = (int) (pos >>> shift);
      int p = slot(map, lc);
      int k = lc;
      long segEnd = Math.min(end, (long) (k + 1) << shift);
      boolean mergeable = p != 0 || type != IoType.WRITE;
      while (mergeable && segEnd < end) {
        int next = slot(map, k + 1);
        if (p == 0 ? next != 0 : next != p + (k + 1 - lc)) {
          break;
        }
        k++;
        segEnd = Math.min(end, (long) (k + 1) << shift);
      }
      long segLen = segEnd - pos;
      int bo = bufOffset + (int) (pos - offset);
      s.pieces.incrementAndGet();
      if (p != 0) {
        long at = physical(p, pos);
        switch (type) {
          case READ -> disk.read(at, buf, bo, (int) segLen, s);
          case WRITE -> disk.write(at, buf, bo, (int) segLen, s);
          case UNMAP -> disk.unmap(at, segLen, s);
          default -> disk.writeZeroes(at, segLen, s);
        }
      } else if (type == IoType.READ) {
        DirectMemory.fill(DirectMemory.address(buf) + bo, segLen, (byte) 0);
        s.ioDone(null);
      } else if (type == IoType.WRITE) {
        allocateThenWrite(lc, pos, buf, bo, (int) segLen, s);
      } else {
        s.ioDone(null);
      }
      pos = segEnd;
    }
    s.ioDone(null);
  }

  private void allocateThenWrite(int lc, long offset, ByteBuffer buf, int bufOffset, int length,
      IoCompletion done) {
    if (!thin) {
      done.ioDone(BdevException.io(BdevException.Kind.IO_ERROR, uri, "cluster " + lc
          + " of a thick replica is not allocated"));
      return;
    }
    int p;
    boolean first = false;
    synchronized (lock) {
      p = slot(map, lc);
      if (p == 0) {
        List<PendingWrite> waiting = pending.get(lc);
        if (waiting == null) {
          waiting = new ArrayList<>(2);
          pending.put(lc, waiting);
          first = true;
        }
        waiting.add(new PendingWrite(offset, buf, bufOffset, length, done));
      }
    }
    if (p != 0) {
      disk.write(physical(p, offset), buf, bufOffset, length, done);
    } else if (first) {
      writer.submit(new MetaCommand.Allocate(this, lc));
    }
  }

  /**
   * Called by the metadata writer once the allocation of {@code lc} is durable ({@code p} is the
   * physical cluster + 1) or has failed: publishes the mapping, then issues or fails the writes
   * that waited for it.
   */
  void allocationDone(int lc, int p, BdevException error) {
    List<PendingWrite> waiting;
    synchronized (lock) {
      if (error == null) {
        SLOT.setRelease(map, lc, p);
      }
      waiting = pending.remove(lc);
    }
    if (waiting == null) {
      return;
    }
    for (PendingWrite w : waiting) {
      if (error != null) {
        w.done.ioDone(error);
      } else {
        disk.write(physical(p, w.offset), w.buf, w.bufOffset, w.length, w.done);
      }
    }
  }

  /**
   * Called by the metadata writer once a resize is durable. Growth publishes the map before the
   * size so a reader that sees the new size sees its clusters; shrinking lowers the size first.
   */
  void resize(long newSize, List<Run> added) {
    int clusters = (int) ((newSize + mask) >>> shift);
    synchronized (lock) {
      if (newSize > size) {
        int[] m = map;
        if (m.length < clusters) {
          int[] grown = new int[clusters];
          for (int i = 0; i < m.length; i++) {
            grown[i] = slot(m, i);
          }
          m = grown;
        }
        for (Run r : added) {
          for (int i = 0; i < r.length(); i++) {
            SLOT.setRelease(m, r.logical() + i, r.physical() + i + 1);
          }
        }
        map = m;
        size = newSize;
      } else {
        size = newSize;
        int[] m = map;
        for (int i = clusters; i < m.length; i++) {
          SLOT.setRelease(m, i, 0);
        }
      }
    }
  }

  @Override
  public String toString() {
    return "Replica[" + uri + ", '" + name + "', " + size + " bytes, " + (thin ? "thin" : "thick")
        + "]";
  }

  /** Completion of a split I/O: the caller's completion runs when the last piece is done. */
  private static final class Split implements IoCompletion {
    final IoCompletion done;
    /** Starts at one for the splitting loop itself, so no piece can finish the I/O early. */
    final AtomicInteger pieces = new AtomicInteger(1);
    volatile BdevException error;

    Split(IoCompletion done) {
      this.done = done;
    }

    @Override
    public void ioDone(BdevException e) {
      if (e != null && error == null) {
        error = e;
      }
      if (pieces.decrementAndGet() == 0) {
        done.ioDone(error);
      }
    }
  }
}
