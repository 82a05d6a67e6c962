package io.caspian.nexus;

import io.caspian.bdev.BdevException;
import io.caspian.nexus.intent.LogImage;
import io.caspian.nexus.intent.Member;
import io.caspian.nexus.intent.WriteIntentLog;
import io.caspian.rebuild.SegmentMap;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The write-intent log on a nexus's write path: no write-like I/O reaches any child before every
 * region it covers is marked dirty in the log on disk, so after a crash the log names every region
 * in which the children may differ.
 *
 * <p><b>Fast path.</b> A write raises the in-flight count of its regions (one per region, usually
 * one), sets their touched bits if clear, and reads their durable bits: if all are set it goes on,
 * having allocated nothing and written nothing. The count is raised <em>before</em> the durable bit
 * is read and the clearing pass clears the durable bit <em>before</em> it reads the count (both
 * sequentially consistent), so either the pass sees the write and keeps the region, or the write
 * sees the region clear and takes the slow path.
 *
 * <p><b>Slow path.</b> A write that finds a region not durable marks it pending and is parked on
 * an intrusive list (no allocation). The log thread takes every parked write and pending region at
 * once, writes one log image with all of them dirty (one write + fdatasync, the group commit),
 * sets their durable bits and submits the parked writes.
 *
 * <p><b>Clearing.</b> Every period the log thread clears the regions that had no write during the
 * whole period, have none in flight, and over which every member child is in sync (asked of the
 * nexus), and writes one image if it cleared any. Only the log thread changes durable bits, so a
 * durable bit set in memory is always set on disk.
 */
final class IntentGate {

  private static final System.Logger LOG = System.getLogger(IntentGate.class.getName());

  private final Nexus nexus;
  private final WriteIntentLog log;
  private final long volumeSize;
  private final int regionSize;
  private final int regionShift;
  private final int regions;
  private final long clearNanos;
  /** Set: the region is dirty in the log on disk. Changed by the log thread only. */
  private final AtomicLongArray durable;
  /** Set by parked writes: the region must be durable before they may go on. */
  private final AtomicLongArray pending;
  /** Set by every write: the region was written since the last clearing pass. */
  private final AtomicLongArray touched;
  private final AtomicIntegerArray inflight;
  private final Thread thread;

  private final Object park = new Object();
  private NexusIo parked;
  private List<Member> members;
  private boolean membersChanged;
  private boolean stopping;

  IntentGate(Nexus nexus, WriteIntentLog log, long volumeSize, int regionSize, long[] dirty,
      List<Member> members, long clearNanos) {
    this.nexus = nexus;
    this.log = log;
    this.volumeSize = volumeSize;
    this.regionSize = regionSize;
    this.regionShift = Integer.numberOfTrailingZeros(regionSize);
    this.regions = LogImage.regionCount(volumeSize, regionSize);
    this.clearNanos = clearNanos;
    this.durable = new AtomicLongArray(dirty);
    this.pending = new AtomicLongArray(dirty.length);
    this.touched = new AtomicLongArray(dirty.length);
    this.inflight = new AtomicIntegerArray(regions);
    this.members = List.copyOf(members);
    this.thread = new Thread(this::run, "nexus-" + nexus.uuid() + "-wil");
    this.thread.setDaemon(true);
  }

  /** Writes the initial image (what was loaded, with today's members) and starts the log thread. */
  void start() throws IOException {
    synchronized (park) {
      membersChanged = false; // this image carries them
    }
    log.write(snapshot(durable, null));
    thread.start();
  }

  Path file() {
    return log.file();
  }

  int regionSize() {
    return regionSize;
  }

  /**
   * Lets a write-like I/O of {@code io.offset, io.length} go on (true) once its regions are
   * durably dirty; otherwise parks it (false) and {@link Nexus#intentReady} or {@link
   * Nexus#intentFailed} runs later on the log thread, or, once the log is stopping, fails it at
   * once through {@link Nexus#intentFailed} (false). Either way {@link #exit} must follow.
   */
  boolean enter(NexusIo io) {
    if (io.length <= 0) {
      return true;
    }
    int first = (int) (io.offset >>> regionShift);
    int last = (int) ((io.offset + io.length - 1) >>> regionShift);
    for (int r = first; r <= last; r++) {
      inflight.getAndIncrement(r);
    }
    boolean ready = true;
    for (int r = first; r <= last; r++) {
      long bit = 1L << (r & 63);
      int w = r >>> 6;
      if ((touched.get(w) & bit) == 0) {
        touched.getAndAccumulate(w, bit, (a, b) -> a | b);
      }
      ready &= (durable.get(w) & bit) != 0;
    }
    if (ready) {
      return true;
    }
    boolean closing;
    synchronized (park) {
      closing = stopping;
      if (!closing) {
        ready = true;
        for (int r = first; r <= last; r++) {
          long bit = 1L << (r & 63);
          int w = r >>> 6;
          if ((durable.get(w) & bit) == 0) {
            ready = false;
            pending.getAndAccumulate(w, bit, (a, b) -> a | b);
          }
        }
        if (ready) {
          return true;
        }
        io.intentNext = parked;
        parked = io;
        park.notifyAll();
      }
    }
    if (closing) {
      // The log is closing with the nexus: a write let through now could reach some children and
      // not others with no region dirty to say so. It fails as a write after close does; outside
      // the park lock, as the completion may take the nexus's lock.
      nexus.intentFailed(io, BdevException.io(BdevException.Kind.CLOSED, nexus.uri(),
          "nexus closed while the write waited for its write-intent log"));
    }
    return false;
  }

  /** The I/O that entered {@code [offset, offset + length)} has been answered by every child. */
  void exit(long offset, long length) {
    if (length <= 0) {
      return;
    }
    int last = (int) ((offset + length - 1) >>> regionShift);
    for (int r = (int) (offset >>> regionShift); r <= last; r++) {
      inflight.getAndDecrement(r);
    }
  }

  /** Records a new member list; written with the next image, soon. */
  void members(List<Member> m) {
    synchronized (park) {
      if (!m.equals(members)) {
        members = List.copyOf(m);
        membersChanged = true;
        park.notifyAll();
      }
    }
  }

  /** Marks in {@code map} every region dirty in the log: what a returning member may lack. */
  void markDirty(SegmentMap map) {
    for (int r = 0; r < regions; r++) {
      if ((durable.get(r >>> 6) & (1L << (r & 63))) != 0) {
        long off = (long) r << regionShift;
        map.mark(off, Math.min(regionSize, volumeSize - off));
      }
    }
  }

  /** How many regions are dirty in the log now. */
  int dirtyRegions() {
    int n = 0;
    for (int w = 0; w < durable.length(); w++) {
      n += Long.bitCount(durable.get(w));
    }
    return n;
  }

  /** Stops the log thread; parked writes fail with {@code CLOSED}. The log file stays. */
  void stop() {
    synchronized (park) {
      stopping = true;
      park.notifyAll();
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      log.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "closing " + log.file() + ": " + e);
    }
  }

  private void run() {
    long nextClear = System.nanoTime() + clearNanos;
    while (true) {
      NexusIo batch;
      boolean changed;
      boolean stop;
      synchronized (park) {
        while (parked == null && !membersChanged && !stopping) {
          long wait = nextClear - System.nanoTime();
          if (wait <= 0) {
            break;
          }
          try {
            TimeUnit.NANOSECONDS.timedWait(park, wait);
          } catch (InterruptedException e) {
            stopping = true;
          }
        }
        batch = parked;
        parked = null;
        changed = membersChanged;
        membersChanged = false;
        stop = stopping;
      }
      // Completions run outside the park lock: a caller's callback may take the nexus's lock,
      // under which the nexus calls members().
      if (stop) {
        fail(batch, BdevException.io(BdevException.Kind.CLOSED, nexus.uri(), "nexus closed "
            + "while the write waited for its write-intent log"));
        return;
      }
      commit(batch, changed);
      if (System.nanoTime() - nextClear >= 0) {
        clearPass();
        nextClear = System.nanoTime() + clearNanos;
      }
    }
  }

  /** Makes every pending region durable with one image, then lets the parked writes go. */
  private void commit(NexusIo batch, boolean force) {
    long[] add = new long[durable.length()];
    boolean grows = false;
    for (int w = 0; w < add.length; w++) {
      add[w] = pending.getAndSet(w, 0);
      grows |= (add[w] & ~durable.get(w)) != 0;
    }
    if (grows || force) {
      try {
        log.write(snapshot(durable, add));
      } catch (IOException | RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "nexus " + nexus.uuid() + ": writing the write-intent "
            + "log " + log.file() + " failed; failing the writes waiting for it: " + e);
        fail(batch, BdevException.io(BdevException.Kind.IO_ERROR, nexus.uri(),
            "the write-intent log could not be written: " + e));
        return;
      }
      for (int w = 0; w < add.length; w++) {
        if (add[w] != 0) {
          durable.set(w, durable.get(w) | add[w]);
        }
      }
    }
    for (NexusIo io = batch; io != null; ) {
      NexusIo next = io.intentNext;
      io.intentNext = null;
      nexus.intentReady(io);
      io = next;
    }
  }

  private void fail(NexusIo batch, BdevException error) {
    for (NexusIo io = batch; io != null; ) {
      NexusIo next = io.intentNext;
      io.intentNext = null;
      nexus.intentFailed(io, error);
      io = next;
    }
  }

  /** Clears the quiet, in-sync regions with one image (none when nothing was cleared). */
  private void clearPass() {
    boolean members = nexus.allMembersPresent();
    boolean cleared = false;
    for (int r = 0; r < regions; r++) {
      int w = r >>> 6;
      long bit = 1L << (r & 63);
      if ((durable.get(w) & bit) == 0) {
        continue;
      }
      if ((touched.get(w) & bit) != 0) {
        touched.getAndAccumulate(w, ~bit, (a, b) -> a & b);
        continue;
      }
      long off = (long) r << regionShift;
      if (!members || !nexus.inSyncOver(off, Math.min(regionSize, volumeSize - off))) {
        continue;
      }
      durable.set(w, durable.get(w) & ~bit);
      if (inflight.get(r) != 0) {
        durable.set(w, durable.get(w) | bit);
        continue;
      }
      cleared = true;
    }
    if (cleared) {
      try {
        log.write(snapshot(durable, null));
      } catch (IOException | RuntimeException e) {
        // The disk still has them dirty: only a needless resync after a crash.
        LOG.log(System.Logger.Level.WARNING, "nexus " + nexus.uuid() + ": writing cleared regions"
            + " to " + log.file() + " failed: " + e);
      }
    }
  }

  private LogImage snapshot(AtomicLongArray bits, long[] plus) {
    long[] b = new long[bits.length()];
    for (int w = 0; w < b.length; w++) {
      b[w] = bits.get(w) | (plus == null ? 0 : plus[w]);
    }
    List<Member> m;
    synchronized (park) {
      m = members;
    }
    return new LogImage(nexus.uuid(), volumeSize, regionSize, log.nextSequence(), m, b);
  }
}
