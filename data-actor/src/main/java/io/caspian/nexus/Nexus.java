package io.caspian.nexus;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.IoChecks;
import io.caspian.bdev.IoCompletion;
import io.caspian.bdev.IoCounters;
import io.caspian.bdev.IoStats;
import io.caspian.bdev.IoType;
import io.caspian.nexus.intent.LogLoad;
import io.caspian.nexus.intent.Member;
import io.caspian.nexus.intent.WriteIntentLog;
import io.caspian.rebuild.RangeGate;
import io.caspian.rebuild.RebuildHost;
import io.caspian.rebuild.RebuildJob;
import io.caspian.rebuild.RebuildOptions;
import io.caspian.rebuild.RebuildRecord;
import io.caspian.rebuild.RebuildState;
import io.caspian.rebuild.RebuildStats;
import io.caspian.rebuild.SegmentMap;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * A mirror of block devices (children) that is itself a block device (Mayastor's nexus).
 *
 * <p><b>I/O path.</b> Each I/O reads the current {@link ChildSet} once. Writes, write-zeroes and
 * unmaps first pass the {@link RangeGate} (held only while a rebuild copies the same segment),
 * mark the segment maps of children that do not receive writes, and go to every writable child;
 * flushes go to every writable child. A mirrored I/O completes when every child has answered.
 * Reads go round-robin over the in-sync children; a failed read is retried on the next in-sync
 * child not yet tried, and only when all have failed does the caller see an error.
 *
 * <p><b>Data safety.</b> A child that fails a write, write-zeroes or flush is faulted
 * (Faulted(IoError), or NoSpace / TimedOut after the error kind) before the I/O is acknowledged,
 * and the range is marked in its segment map (the whole device for a flush). So after a write
 * fails on child B no later read can reach B, and B's return copies exactly what it missed. The
 * write is acknowledged when at least one child that is in sync <em>after</em> those faults has
 * it; that is, when it is on every in-sync child. The last in-sync child is never faulted by I/O
 * errors: when every in-sync child fails a write the caller gets the error and the children stay,
 * so the volume remains readable (the failed range holds old or new data, as on a single disk
 * after a failed write). Unmap is advisory, so an unmap failure is only counted.
 *
 * <p><b>Error store.</b> Failed I/Os are counted per child over a sliding window; the error that
 * brings the count of {@link ErrorPolicy#counted()} types in the window to {@link
 * ErrorPolicy#threshold()} faults the child with IoError.
 *
 * <p><b>Children joining.</b> Before a child enters the write set every stripe of the gate is
 * locked, so no write is in flight while the {@link ChildSet} changes: each write either reached
 * the child or marked its segment map before the rebuild starts. A rebuild job then copies the
 * marked segments (all of them for a new child, only the missed ones for a returning child) and
 * the child joins the read set when none is left.
 *
 * <p><b>Write-intent log.</b> With {@link NexusOptions#intentLog()}, no write-like I/O reaches a
 * child before the regions it covers are dirty in a small durable log ({@link IntentGate}). A
 * nexus created again over that log resyncs the given children other than the first over the
 * dirty regions (a crash may have left them different there), and a recorded member that comes
 * back through {@link #addChild} gets a partial rebuild of those regions instead of a full one.
 *
 * <p>Management calls are for control threads: they may wait briefly for in-flight writes and
 * must not be made from an I/O completion.
 */
public final class Nexus implements BlockDevice {

  /** Children per nexus; also the width of the masks I/O contexts keep. */
  public static final int MAX_CHILDREN = 32;

  private static final System.Logger LOG = System.getLogger(Nexus.class.getName());

  private static final int SEGMENT_SIZE = SegmentMap.DEFAULT_SEGMENT_SIZE;
  /**
   * A rebuild holds up to {@link RebuildOptions#MAX_TASKS} stripes locked, and a front-end write
   * to any segment hashed onto one of them waits for that copy, overlapping or not: with 256
   * stripes that stalled about 6 % of the writes during a rebuild, with 4096 under 0.4 %, for
   * 4096 small stripe objects per nexus and a lockAll (admin path) of about a millisecond.
   */
  private static final int GATE_STRIPES = 4096;
  private static final int POOL_SIZE = 4096;
  private static final int HISTORY = 64;
  private static final long ADMIN_TIMEOUT_S = 30;

  private final String uuid;
  private final String uri;
  private final long size;
  private final int blockSize;
  private final int alignment;

  /** The buffer alignment every nexus asks of its front-ends at least: a page, what O_DIRECT disks need. */
  static final int MIN_PROMISED_ALIGNMENT = 4096;
  private final DeviceOpener opener;
  private final ScheduledExecutorService executor;
  /** The generation this nexus fences its remote children with; 0 for none. */
  private final long generation;
  private final boolean ownExecutor;
  private final LongSupplier clock;
  private final RangeGate gate = new RangeGate(SEGMENT_SIZE, GATE_STRIPES);
  private final IoPool pool = new IoPool(this, POOL_SIZE);
  /**
   * Spreads reads over the in-sync children. A plain field on purpose: a lost or repeated
   * increment only skews the spread for one I/O, while an atomic one would be a cache line every
   * completion thread fights over.
   */
  private int roundRobin;
  private final CopyOnWriteArrayList<NexusListener> listeners = new CopyOnWriteArrayList<>();
  /** The volume's front-end reads and writes, for the metrics (Mayastor's volume_* figures). */
  private final IoCounters counters = new IoCounters();
  /** Off: I/Os are neither timed nor counted (a bench's metrics-off side, {@code --metrics-io=false}). */
  private volatile boolean countIo = true;
  private final Host host = new Host();

  private final Object lock = new Object();
  private final ArrayDeque<RebuildRecord> history = new ArrayDeque<>();
  private Child[] members;
  private NexusState state;

  private volatile ChildSet children = ChildSet.EMPTY;
  private volatile ErrorPolicy policy;
  private volatile RebuildOptions rebuildOptions;
  private volatile boolean closed;
  /**
   * Why this nexus was superseded, or null: a child refused a write because a newer nexus holds
   * it. From then on every front-end I/O fails, here included the write that found out, although
   * a local child may have taken it: acknowledging what the volume's current nexus never sees
   * would lose it, and reading here could return what the current nexus has since overwritten.
   */
  private volatile String supersededBy;
  /** Null without a write-intent log. */
  private final IntentGate intent;
  /**
   * Members recorded in the log that are not children now (left out of a re-created nexus): the
   * regions written meanwhile stay dirty for them, and {@link #addChild} gives them a partial
   * rebuild. Under {@link #lock}; {@link #absentCount} mirrors its size for the log thread.
   */
  private final Set<String> absentMembers = new HashSet<>();
  private volatile int absentCount;

  private Nexus(String uuid, long size, int blockSize, int alignment, DeviceOpener opener,
      NexusOptions options, IntentRecovery recovery, WriteIntentLog log) {
    this.uuid = uuid;
    this.uri = "nexus:///" + uuid;
    this.size = size;
    this.blockSize = blockSize;
    this.alignment = alignment;
    this.opener = opener;
    this.policy = options.errorPolicy();
    this.rebuildOptions = options.rebuild();
    this.clock = options.nanoClock();
    this.generation = options.generation();
    if (options.executor() != null) {
      this.executor = options.executor();
      this.ownExecutor = false;
    } else {
      ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "nexus-" + uuid + "-rebuild");
        t.setDaemon(true);
        return t;
      });
      e.setRemoveOnCancelPolicy(true);
      this.executor = e;
      this.ownExecutor = true;
    }
    this.intent = log == null ? null : new IntentGate(this, log, size, recovery.regionSize(),
        recovery.dirty(), List.of(), options.intentLog().clearEvery().toNanos());
  }

  /**
   * Opens every child and creates the nexus with all of them Online: the caller vouches that
   * they hold the same data (new replicas, or the replicas of an existing volume).
   *
   * <p>With a write-intent log that already exists, the caller's word holds outside the log's
   * dirty regions only: the first child the log records complete (else the first given) is the
   * source, and every other child is put in the write
   * set out of sync and resynced over those regions (over everything when the log cannot be
   * trusted, or when it does not record the child as a complete member) before it serves reads.
   *
   * @param size bytes; every child must be at least this large
   */
  public static Nexus create(String uuid, long size, List<String> childUris, DeviceOpener opener,
      NexusOptions options) throws BdevException {
    String name = "nexus:///" + uuid;
    if (uuid == null || uuid.isBlank()) {
      throw BdevException.of(BdevException.Kind.INVALID, name, "nexus needs a uuid");
    }
    if (childUris == null || childUris.isEmpty() || childUris.size() > MAX_CHILDREN) {
      throw BdevException.of(BdevException.Kind.INVALID, name, "nexus needs 1 to " + MAX_CHILDREN
          + " children, not " + (childUris == null ? 0 : childUris.size()));
    }
    if (new HashSet<>(childUris).size() != childUris.size()) {
      throw BdevException.of(BdevException.Kind.INVALID, name,
          "the same child is listed twice: " + childUris);
    }
    if (size <= 0) {
      throw BdevException.of(BdevException.Kind.INVALID, name, "size must be positive, not " + size);
    }
    List<BlockDevice> opened = new ArrayList<>();
    Nexus n = null;
    try {
      for (String u : childUris) {
        try {
          opened.add(opener.open(u));
        } catch (BdevException e) {
          throw BdevException.of(e.kind(), name, "cannot open child " + u + ": " + e.getMessage(), e);
        }
      }
      int bs = opened.get(0).blockSize();
      // Promise at least page alignment whatever the first children need: a replacement child may be an O_DIRECT
      // file or disk (4096) although the first ones were memory (1), and a nexus cannot raise its promise later.
      int align = MIN_PROMISED_ALIGNMENT;
      for (BlockDevice d : opened) {
        if (d.blockSize() != bs) {
          throw BdevException.of(BdevException.Kind.INVALID, name, "child " + d.uri() + " has "
              + d.blockSize() + "-byte blocks but " + opened.get(0).uri() + " has " + bs);
        }
        if (d.size() < size) {
          throw BdevException.of(BdevException.Kind.INVALID, name, "child " + d.uri() + " has "
              + d.size() + " bytes, less than the nexus size " + size);
        }
        align = Math.max(align, d.bufferAlignment());
      }
      if (size % bs != 0) {
        throw BdevException.of(BdevException.Kind.INVALID, name,
            "size " + size + " is not a multiple of the " + bs + "-byte block size");
      }
      for (BlockDevice d : opened) {
        fence(name, d, options.generation());
      }
      IntentRecovery recovery = null;
      WriteIntentLog log = null;
      if (options.intentLog() != null) {
        recovery = recoverIntents(uuid, size, options.intentLog());
        log = openLog(name, options.intentLog(), recovery);
      }
      n = new Nexus(uuid, size, bs, align, opener, options, recovery, log);
      // The resync's source overwrites the others where the log says they may differ: it must be a
      // child the log records complete, not merely the first one given, when the log names one.
      List<String> uris = new ArrayList<>(childUris);
      int source = recovery == null || recovery.fresh() ? 0 : sourceIndex(uris, recovery);
      java.util.Collections.swap(uris, 0, source);
      java.util.Collections.swap(opened, 0, source);
      Child[] cs = new Child[opened.size()];
      List<Child> resync = new ArrayList<>();
      for (int i = 0; i < cs.length; i++) {
        cs[i] = new Child(uris.get(i), i, opened.get(i), new SegmentMap(size, SEGMENT_SIZE),
            ChildState.ONLINE);
        if (i > 0 && recovery != null && !recovery.fresh()) {
          if (recovery.complete().contains(cs[i].uri)) {
            n.intent.markDirty(cs[i].dirty);
          } else {
            cs[i].dirty.markAll();
            cs[i].rebuildAll = true;
          }
          if (cs[i].dirty.nextDirty(0) >= 0) {
            cs[i].state = ChildState.degraded(ChildState.DegradedReason.OUT_OF_SYNC);
            resync.add(cs[i]);
          }
        }
      }
      synchronized (n.lock) {
        n.members = cs;
        n.children = new ChildSet(cs);
        n.state = resync.isEmpty() ? NexusState.ONLINE : NexusState.DEGRADED;
        if (recovery != null) {
          for (String m : recovery.complete()) {
            if (!childUris.contains(m)) {
              n.absentMembers.add(m);
            }
          }
          n.absentCount = n.absentMembers.size();
          n.intent.members(n.intentMembersLocked());
        }
      }
      if (n.intent != null) {
        try {
          n.intent.start();
        } catch (IOException e) {
          throw BdevException.of(BdevException.Kind.IO_ERROR, name, "cannot write the "
              + "write-intent log " + options.intentLog().file() + ": " + e, e);
        }
      }
      for (Child c : resync) {
        LOG.log(System.Logger.Level.INFO, "nexus {0}: resyncing {1} from {2} over {3} bytes the "
            + "write-intent log says may differ", uuid, c.uri, cs[0].uri, c.dirty.dirtyBytes());
        n.join(c, null, !c.rebuildAll);
      }
      return n;
    } catch (BdevException | RuntimeException e) {
      if (n != null && n.members != null) {
        n.close(); // closes the children it holds, its log and its executor
      } else {
        opened.forEach(BlockDevice::close);
        if (n != null && n.intent != null) {
          n.intent.stop();
        }
        if (n != null && n.ownExecutor) {
          n.executor.shutdown();
        }
      }
      throw e;
    }
  }

  /** The first given child the log records complete; the first given when it records none. */
  private static int sourceIndex(List<String> uris, IntentRecovery recovery) {
    for (int i = 0; i < uris.size(); i++) {
      if (recovery.complete().contains(uris.get(i))) {
        return i;
      }
    }
    return 0;
  }

  private static IntentRecovery recoverIntents(String uuid, long size, IntentLogOptions o)
      throws BdevException {
    LogLoad load;
    try {
      load = WriteIntentLog.load(o.file());
    } catch (IOException e) {
      // Unreadable is as good as corrupt: trust nothing, lose nothing.
      load = new LogLoad.Unusable("cannot read " + o.file() + ": " + e);
    }
    IntentRecovery r = IntentRecovery.of(load, uuid, size);
    if (r.note() != null) {
      LOG.log(System.Logger.Level.WARNING, "nexus {0}: write-intent log not usable: {1}", uuid,
          r.note());
    }
    return r;
  }

  private static WriteIntentLog openLog(String name, IntentLogOptions o, IntentRecovery r)
      throws BdevException {
    try {
      return WriteIntentLog.open(o.file(), r.lastSequence());
    } catch (IOException e) {
      throw BdevException.of(BdevException.Kind.IO_ERROR, name, "cannot open the write-intent log "
          + o.file() + ": " + e, e);
    }
  }

  // ---------------------------------------------------------------- BlockDevice

  @Override
  public String uri() {
    return uri;
  }

  public String uuid() {
    return uuid;
  }

  @Override
  public int blockSize() {
    return blockSize;
  }

  @Override
  public long blockCount() {
    return size / blockSize;
  }

  /** The field itself: every I/O's range check asks, and the default divides and multiplies. */
  @Override
  public long size() {
    return size;
  }

  @Override
  public int bufferAlignment() {
    return alignment;
  }

  @Override
  public boolean mayHoldData(long offset, long length) {
    for (Child c : children.readable) {
      if (c.dev.mayHoldData(offset, length)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    BdevException err = closed ? closedError(IoType.READ)
        : supersededBy != null ? supersededError(IoType.READ)
        : IoChecks.data(this, IoType.READ, offset, buf, bufOffset, length);
    if (err != null) {
      done.ioDone(err);
      return;
    }
    NexusIo io = pool.take();
    io.init(IoType.READ, offset, length, buf, bufOffset, done);
    submitRead(io);
  }

  @Override
  public void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    BdevException err = closed ? closedError(IoType.WRITE)
        : supersededBy != null ? supersededError(IoType.WRITE)
        : IoChecks.data(this, IoType.WRITE, offset, buf, bufOffset, length);
    mirrored(err, IoType.WRITE, offset, length, buf, bufOffset, done);
  }

  @Override
  public void flush(IoCompletion done) {
    BdevException err = closed ? closedError(IoType.FLUSH)
        : supersededBy != null ? supersededError(IoType.FLUSH) : null;
    mirrored(err, IoType.FLUSH, 0, 0, null, 0, done);
  }

  @Override
  public void unmap(long offset, long length, IoCompletion done) {
    BdevException err = closed ? closedError(IoType.UNMAP)
        : supersededBy != null ? supersededError(IoType.UNMAP)
        : IoChecks.range(this, IoType.UNMAP, offset, length);
    mirrored(err, IoType.UNMAP, offset, length, null, 0, done);
  }

  @Override
  public void writeZeroes(long offset, long length, IoCompletion done) {
    BdevException err = closed ? closedError(IoType.WRITE_ZEROES)
        : supersededBy != null ? supersededError(IoType.WRITE_ZEROES)
        : IoChecks.range(this, IoType.WRITE_ZEROES, offset, length);
    mirrored(err, IoType.WRITE_ZEROES, offset, length, null, 0, done);
  }

  /**
   * Stops rebuilds, waits briefly for their copies in flight, and closes every child. I/O submitted
   * afterwards fails with {@link BdevException.Kind#CLOSED}. The write-intent log stays as it is,
   * as after a crash: the nexus is re-created over it after a restart.
   */
  @Override
  public void close() {
    Child[] cs;
    List<CompletableFuture<RebuildRecord>> jobs = new ArrayList<>();
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      cs = members;
      for (Child c : cs) {
        if (c.job != null) {
          jobs.add(c.job.completion());
          c.job.stop("nexus " + uri + " closed");
        }
      }
    }
    try {
      CompletableFuture.allOf(jobs.toArray(new CompletableFuture<?>[0]))
          .get(ADMIN_TIMEOUT_S, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // Closing goes on: the children are closed below and their copies fail with CLOSED.
    }
    if (intent != null) {
      intent.stop();
    }
    for (Child c : cs) {
      if (c.dev != null) {
        c.dev.close();
      }
    }
    if (ownExecutor) {
      executor.shutdown();
    }
  }

  /**
   * Closes the nexus and deletes its write-intent log: the volume's nexus is gone on purpose and a
   * nexus of the same uuid created later starts afresh.
   */
  public void destroy() throws BdevException {
    close();
    if (intent != null) {
      try {
        WriteIntentLog.delete(intent.file());
      } catch (IOException e) {
        throw BdevException.of(BdevException.Kind.IO_ERROR, uri, "cannot delete the write-intent "
            + "log: " + e, e);
      }
    }
  }

  private void mirrored(BdevException err, IoType type, long offset, long length, ByteBuffer buf,
      int bufOffset, IoCompletion done) {
    if (err != null) {
      done.ioDone(err);
      return;
    }
    NexusIo io = pool.take();
    io.init(type, offset, length, buf, bufOffset, done);
    submitMirrored(io);
  }

  private void submitRead(NexusIo io) {
    Child[] r = children.readable;
    int n = r.length;
    int start = 0;
    if (n > 1) {
      start = (roundRobin++ & Integer.MAX_VALUE) % n;
    }
    for (int k = 0; k < n; k++) {
      Child c = r[(start + k) % n];
      long bit = 1L << c.slot;
      if ((io.tried & bit) == 0) {
        io.tried |= bit;
        io.readChild = c;
        c.dev.read(io.offset, io.buf, io.bufOffset, (int) io.length, io);
        return;
      }
    }
    complete(io, failedEverywhere(io, "in-sync child"));
  }

  /** Called by {@link NexusIo} when a read on {@code io.readChild} finished. */
  void readDone(NexusIo io, BdevException error) {
    if (error == null) {
      complete(io, null);
      return;
    }
    if (io.firstError == null) {
      io.firstError = error;
    }
    childIoFailed(io.readChild, IoType.READ, error);
    submitRead(io);
  }

  /** Sends a write-like I/O or flush to every writable child, once its regions are durably dirty. */
  private void submitMirrored(NexusIo io) {
    if (intent != null && io.type != IoType.FLUSH && !intent.enter(io)) {
      return;
    }
    submitGated(io);
  }

  /** The write-intent log made a parked write's regions durable. Runs on the log thread. */
  void intentReady(NexusIo io) {
    submitGated(io);
  }

  /** The write-intent log could not be written, or the nexus closed, while {@code io} waited. */
  void intentFailed(NexusIo io, BdevException error) {
    intent.exit(io.offset, io.length);
    complete(io, error);
  }

  /** Passes the range gate and sends to every writable child; re-run when the gate reopens. */
  void submitGated(NexusIo io) {
    boolean ranged = io.type != IoType.FLUSH;
    if (ranged && !gate.enterWrite(io.offset, io.length, io)) {
      return;
    }
    ChildSet s = children;
    io.set = s;
    if (ranged) {
      for (Child t : s.tracking) {
        t.dirty.mark(io.offset, io.length);
      }
    }
    Child[] w = s.writable;
    int n = w.length;
    if (n == 0) {
      if (ranged) {
        gate.exitWrite(io.offset, io.length);
        exitIntent(io);
      }
      complete(io, BdevException.io(BdevException.Kind.IO_ERROR, uri,
          io.type + " failed: no child can be written"));
      return;
    }
    for (int i = 0; i < n; i++) {
      io.sub(i);
    }
    // Release order is enough: each child device hands the I/O to its completion thread with
    // ordering of its own, so a completion always sees this count; a full fence per I/O is not.
    io.pending.lazySet(n);
    for (int i = 0; i < n; i++) {
      BlockDevice d = w[i].dev;
      IoCompletion sub = io.sub(i);
      switch (io.type) {
        case WRITE -> d.write(io.offset, io.buf, io.bufOffset, (int) io.length, sub);
        case WRITE_ZEROES -> d.writeZeroes(io.offset, io.length, sub);
        case UNMAP -> d.unmap(io.offset, io.length, sub);
        case FLUSH -> d.flush(sub);
        default -> throw new IllegalStateException("not a mirrored I/O: " + io.type);
      }
    }
  }

  /** Called by {@link NexusIo} when every child answered a mirrored I/O. */
  void mirroredDone(NexusIo io) {
    BdevException err = io.failed.get() == 0 ? null : mirroredFailed(io);
    if (io.type != IoType.FLUSH) {
      gate.exitWrite(io.offset, io.length);
      exitIntent(io);
    }
    complete(io, err);
  }

  private void exitIntent(NexusIo io) {
    if (intent != null) {
      intent.exit(io.offset, io.length);
    }
  }

  /** For the log's clearing pass: no recorded member is missing, so regions may be cleared. */
  boolean allMembersPresent() {
    return absentCount == 0;
  }

  /**
   * For the log's clearing pass: every member child receives writes and none lacks a segment of
   * {@code [offset, offset + length)}, so the children are equal there and the region may be
   * cleared.
   */
  boolean inSyncOver(long offset, long length) {
    ChildSet s = children;
    if (s.tracking.length != 0) {
      return false;
    }
    long last = (offset + length - 1) / SEGMENT_SIZE;
    for (Child c : s.writable) {
      long seg = c.dirty.nextDirty(offset / SEGMENT_SIZE);
      if (seg >= 0 && seg <= last) {
        return false;
      }
    }
    return true;
  }

  /** The members the log records: the children, and those recorded before but absent now. */
  private List<Member> intentMembersLocked() {
    List<Member> out = new ArrayList<>();
    for (Child c : members) {
      out.add(new Member(c.uri, !c.rebuildAll));
    }
    for (String a : absentMembers) {
      out.add(new Member(a, true));
    }
    return out;
  }

  /** Regions dirty in the write-intent log now; -1 without a log. For tests and operators. */
  public int intentDirtyRegions() {
    return intent == null ? -1 : intent.dirtyRegions();
  }

  /** The write-intent log's region size; 0 without a log. */
  public int intentRegionSize() {
    return intent == null ? 0 : intent.regionSize();
  }

  private void complete(NexusIo io, BdevException err) {
    if (err == null) {
      count(io);
    }
    IoCompletion user = io.user;
    pool.put(io);
    user.ioDone(err);
  }

  /**
   * Counts a successful front-end read or write as its user saw it: read retries and waits on a
   * rebuild's lock included (its latency only when it was timed: see {@link IoCounters}).
   */
  private void count(NexusIo io) {
    if (!io.counted) {
      return;
    }
    long nanos = io.weight == 0 ? 0 : (System.nanoTime() - io.started) * io.weight;
    IoCounters.Cell c = counters.cell(io.cell);
    io.cell = c;
    if (io.type == IoType.READ) {
      c.read(io.length, nanos);
    } else {
      c.write(io.length, nanos);
    }
  }

  /**
   * Faults the children that failed a mirrored I/O before it is acknowledged. Returns the error
   * for the caller, or null when a child still in sync afterwards has the data.
   */
  private BdevException mirroredFailed(NexusIo io) {
    long mask = io.failed.get();
    Child[] w = io.set.writable;
    List<NexusEvent> events = new ArrayList<>();
    boolean ok = false;
    synchronized (lock) {
      for (int i = 0; i < w.length; i++) {
        if ((mask & (1L << i)) == 0) {
          continue;
        }
        Child c = w[i];
        BdevException e = io.errorOf(i);
        if (io.type == IoType.FLUSH) {
          // Earlier writes, in regions the log may have cleared since, may not be on c.
          c.dirty.markAll();
          c.rebuildAll = true;
        } else if (io.type != IoType.UNMAP) {
          c.dirty.mark(io.offset, io.length);
        }
        if (c.removed || !children.isWritable(c)) {
          continue;
        }
        if (e.kind() == BdevException.Kind.RESERVATION_CONFLICT) {
          // A newer nexus holds this replica: positive evidence, not an error to count. The
          // child goes even if it is the last one; this nexus must not write anywhere it was
          // superseded, and retrying would only be refused again.
          faultLocked(c, ChildState.FaultReason.FENCED, io.type + " refused: fenced by a newer"
              + " nexus (" + e.getMessage() + ")", false, events);
          if (supersededBy == null) {
            supersededBy = c.uri + " refused " + io.type + ": " + e.getMessage();
            LOG.log(System.Logger.Level.WARNING, "{0}: superseded by a newer nexus; every I/O fails"
                + " from now on: {1}", uri, supersededBy);
          }
          continue;
        }
        int r = c.errors.record(io.type, clock.getAsLong(), policy);
        if (io.type != IoType.UNMAP) {
          faultLocked(c, reasonFor(e), io.type + " failed: " + e.getMessage(), true, events);
        } else if ((r & ErrorStore.REACHED) != 0) {
          faultLocked(c, ChildState.FaultReason.IO_ERROR, thresholdCause(), true, events);
        } else if ((r & ErrorStore.REPORT) != 0) {
          events.add(countsEvent(c));
        }
      }
      ChildSet now = children;
      for (int i = 0; i < w.length && !ok; i++) {
        ok = (mask & (1L << i)) == 0 && !w[i].removed && now.isReadable(w[i]);
      }
    }
    dispatch(events);
    if (supersededBy != null) {
      return supersededError(io.type);
    }
    return ok ? null : failedEverywhere(io, "in-sync child");
  }

  /** Counts a failed read (front-end or rebuild source) and faults at the threshold. */
  private void childIoFailed(Child c, IoType type, BdevException e) {
    if (c.removed || e.kind() == BdevException.Kind.CLOSED && !children.isReadable(c)) {
      return;
    }
    int r = c.errors.record(type, clock.getAsLong(), policy);
    if (r == 0) {
      return;
    }
    List<NexusEvent> events = new ArrayList<>();
    synchronized (lock) {
      if ((r & ErrorStore.REACHED) != 0 && children.isWritable(c)) {
        faultLocked(c, ChildState.FaultReason.IO_ERROR, thresholdCause(), true, events);
      } else if ((r & ErrorStore.REPORT) != 0) {
        events.add(countsEvent(c));
      }
    }
    dispatch(events);
  }

  private String thresholdCause() {
    ErrorPolicy p = policy;
    return p.threshold() + " I/O errors within " + p.window().toMillis() + " ms";
  }

  private BdevException failedEverywhere(NexusIo io, String what) {
    BdevException first = io.firstError;
    String where = io.type == IoType.FLUSH ? "" : " at offset " + io.offset;
    if (first == null) {
      return BdevException.io(BdevException.Kind.IO_ERROR, uri,
          io.type + where + " failed: no " + what + " left");
    }
    return BdevException.io(first.kind(), uri, io.type + where + " failed on every " + what
        + "; first error: " + first.getMessage());
  }

  private static ChildState.FaultReason reasonFor(BdevException e) {
    return switch (e.kind()) {
      case NO_SPACE -> ChildState.FaultReason.NO_SPACE;
      case TIMED_OUT -> ChildState.FaultReason.TIMED_OUT;
      case RESERVATION_CONFLICT -> ChildState.FaultReason.FENCED;
      default -> ChildState.FaultReason.IO_ERROR;
    };
  }

  private BdevException supersededError(IoType type) {
    return BdevException.io(BdevException.Kind.RESERVATION_CONFLICT, uri, type + " on a nexus a newer"
        + " one superseded (" + supersededBy + ")");
  }

  private BdevException closedError(IoType type) {
    return BdevException.io(BdevException.Kind.CLOSED, uri, type + " on a closed nexus");
  }

  // ---------------------------------------------------------------- state changes (under lock)

  /**
   * Takes {@code c} out of the read and write sets. With {@code keepLast}, the last in-sync child
   * stays: faulting it would leave the volume with nothing to read.
   */
  private boolean faultLocked(Child c, ChildState.FaultReason reason, String cause,
      boolean keepLast, List<NexusEvent> events) {
    if (keepLast && c.readable() && children.readable.length == 1) {
      events.add(countsEvent(c));
      return false;
    }
    ChildState from = c.state;
    c.state = ChildState.faulted(reason);
    if (c.job != null) {
      c.job.fail("destination " + c.uri + " faulted: " + cause);
    }
    events.add(new NexusEvent.ChildStateChanged(uuid, c.uri, from, c.state, cause));
    events.add(countsEvent(c));
    publishLocked(events);
    return true;
  }

  private void publishLocked(List<NexusEvent> events) {
    children = new ChildSet(members);
    if (intent != null) {
      intent.members(intentMembersLocked());
    }
    int online = 0;
    for (Child c : members) {
      if (c.state.isOnline()) {
        online++;
      }
    }
    NexusState next = online == members.length && online > 0 ? NexusState.ONLINE
        : online > 0 ? NexusState.DEGRADED : NexusState.FAULTED;
    if (next != state) {
      events.add(new NexusEvent.NexusStateChanged(uuid, state, next));
      state = next;
    }
  }

  private NexusEvent.ErrorCountsReported countsEvent(Child c) {
    return new NexusEvent.ErrorCountsReported(uuid, c.errors.snapshot(clock.getAsLong(), policy));
  }

  private void dispatch(List<NexusEvent> events) {
    for (NexusEvent e : events) {
      if (e instanceof NexusEvent.ChildStateChanged c && c.to() instanceof ChildState.Faulted) {
        // A fault is what an operator asks about first: its cause is logged where it happened, not
        // only published (the bus may be off, and the report keeps only the reason's name).
        LOG.log(System.Logger.Level.WARNING, "nexus {0}: child {1} faulted: {2}", uuid, c.child(),
            c.cause());
      }
      for (NexusListener l : listeners) {
        try {
          l.onEvent(e);
        } catch (RuntimeException ignored) {
          // A broken listener must not break the I/O path that reported the event.
        }
      }
    }
  }

  private Child findLocked(String childUri) throws BdevException {
    for (Child c : members) {
      if (c.uri.equals(childUri)) {
        return c;
      }
    }
    throw BdevException.of(BdevException.Kind.INVALID, uri, "nexus has no child " + childUri
        + "; children: " + Arrays.stream(members).map(c -> c.uri).toList());
  }

  private Child childOf(BlockDevice dev) {
    for (Child c : children.all) {
      if (c.dev == dev) {
        return c;
      }
    }
    return null;
  }

  private void checkOpen() throws BdevException {
    if (closed) {
      throw BdevException.of(BdevException.Kind.CLOSED, uri, "nexus is closed");
    }
  }

  // ---------------------------------------------------------------- management

  /** The reads and writes completed so far; cheap, lock-free, for a metrics scrape. */
  public IoStats ioStats() {
    return counters.snapshot();
  }

  /**
   * Turns the counting of front-end reads and writes on or off (on when created); I/Os in flight
   * are counted as they started.
   */
  public void countIo(boolean on) {
    countIo = on;
  }

  boolean countsIo() {
    return countIo;
  }

  public NexusState state() {
    synchronized (lock) {
      return state;
    }
  }

  public List<ChildInfo> children() {
    synchronized (lock) {
      List<ChildInfo> out = new ArrayList<>();
      long now = clock.getAsLong();
      for (Child c : members) {
        out.add(new ChildInfo(c.uri, c.state, c.job != null, c.dirty.dirtyBytes() / blockSize,
            c.errors.snapshot(now, policy)));
      }
      return out;
    }
  }

  public ChildState childState(String childUri) throws BdevException {
    synchronized (lock) {
      return findLocked(childUri).state;
    }
  }

  public ErrorCounts errorCounts(String childUri) throws BdevException {
    synchronized (lock) {
      return findLocked(childUri).errors.snapshot(clock.getAsLong(), policy);
    }
  }

  /** Sends to the listeners the error counts of every child whose counts changed since the last call. */
  public void publishErrorCounts() {
    List<NexusEvent> events = new ArrayList<>();
    synchronized (lock) {
      for (Child c : members) {
        // Every error already publishes its counts at once; this repeats them only when they moved since (errors
        // aging out of the window), so an idle volume sends nothing and costs its io-engine, the broker and the
        // control plane no work.
        NexusEvent.ErrorCountsReported e = countsEvent(c);
        if (!e.counts().equals(c.periodicCounts)) {
          c.periodicCounts = e.counts();
          events.add(e);
        }
      }
    }
    dispatch(events);
  }

  public ErrorPolicy errorPolicy() {
    return policy;
  }

  /** Applies at once, to errors already in the window too. */
  public void setErrorPolicy(ErrorPolicy p) {
    if (p == null) {
      throw new IllegalArgumentException(uri + ": error policy must not be null");
    }
    this.policy = p;
  }

  public RebuildOptions rebuildOptions() {
    return rebuildOptions;
  }

  /** Applies to rebuilds started later and to those running now. */
  public void setRebuildOptions(RebuildOptions o) {
    if (o == null) {
      throw new IllegalArgumentException(uri + ": rebuild options must not be null");
    }
    List<RebuildJob> jobs = new ArrayList<>();
    synchronized (lock) {
      this.rebuildOptions = o;
      for (Child c : members) {
        if (c.job != null) {
          jobs.add(c.job);
        }
      }
    }
    jobs.forEach(j -> j.setOptions(o));
  }

  public void addListener(NexusListener l) {
    listeners.add(l);
  }

  public void removeListener(NexusListener l) {
    listeners.remove(l);
  }

  /**
   * Opens {@code childUri}, adds it to the write set and starts a full rebuild onto it. Returns
   * once the rebuild has started, with the rebuild's completion. A member the write-intent log
   * recorded but this nexus was created without (a replica back after its io-engine restarted)
   * gets a partial rebuild of the log's dirty regions instead: those cover every write it can have
   * missed, as none is cleared while a member is absent.
   */
  public CompletableFuture<RebuildRecord> addChild(String childUri) throws BdevException {
    checkOpen();
    synchronized (lock) {
      if (members.length >= MAX_CHILDREN) {
        throw BdevException.of(BdevException.Kind.INVALID, uri,
            "cannot add " + childUri + ": nexus already has " + MAX_CHILDREN + " children");
      }
      for (Child c : members) {
        if (c.uri.equals(childUri)) {
          throw BdevException.of(BdevException.Kind.INVALID, uri,
              "cannot add " + childUri + ": it is already a child");
        }
      }
    }
    BlockDevice dev = openChild(childUri);
    Child c;
    boolean returning;
    List<NexusEvent> events = new ArrayList<>();
    synchronized (lock) {
      boolean taken = closed;
      long used = 0;
      for (Child m : members) {
        taken |= m.uri.equals(childUri);
        used |= 1L << m.slot;
      }
      if (taken || members.length >= MAX_CHILDREN) {
        dev.close();
        throw BdevException.of(BdevException.Kind.INVALID, uri,
            "cannot add " + childUri + ": nexus changed meanwhile (closed, full or child added)");
      }
      c = new Child(childUri, Long.numberOfTrailingZeros(~used), dev,
          new SegmentMap(size, SEGMENT_SIZE), ChildState.degraded(ChildState.DegradedReason.INIT));
      returning = absentMembers.remove(childUri);
      if (returning) {
        // From here c is tracking: later writes mark its map; earlier ones are in the log.
        intent.markDirty(c.dirty);
      } else {
        c.dirty.markAll();
        c.rebuildAll = true;
      }
      c.joining = true;
      members = Arrays.copyOf(members, members.length + 1);
      members[members.length - 1] = c;
      events.add(new NexusEvent.ChildStateChanged(uuid, childUri, null, c.state,
          returning ? "returned: a member of the write-intent log" : "added"));
      publishLocked(events);
      absentCount = absentMembers.size();
    }
    dispatch(events);
    return join(c, null, returning);
  }

  /** Removes a child; refused for the last in-sync child. Stops a rebuild onto it. */
  public void removeChild(String childUri) throws BdevException {
    checkOpen();
    Child c;
    List<NexusEvent> events = new ArrayList<>();
    synchronized (lock) {
      c = findLocked(childUri);
      refuseLastLocked(c, "remove");
      c.removed = true;
      if (c.job != null) {
        c.job.stop("child removed");
      }
      members = Arrays.stream(members).filter(m -> m != c).toArray(Child[]::new);
      events.add(new NexusEvent.ChildRemoved(uuid, childUri, c.state));
      publishLocked(events);
    }
    dispatch(events);
    if (c.dev != null) {
      c.dev.close();
    }
  }

  /**
   * Drops {@code childUri} from the members the write-intent log holds regions for, when it is
   * recorded but not a child (left out when the nexus was re-created, and now given up). Returns
   * whether it was such a member; if it comes back later it is rebuilt in full.
   */
  public boolean forgetMember(String childUri) {
    synchronized (lock) {
      if (!absentMembers.remove(childUri)) {
        return false;
      }
      absentCount = absentMembers.size();
      intent.members(intentMembersLocked());
      return true;
    }
  }

  /** Faults a child on request (Faulted(ByClient)); refused for the last in-sync child. */
  public void faultChild(String childUri) throws BdevException {
    checkOpen();
    List<NexusEvent> events = new ArrayList<>();
    synchronized (lock) {
      Child c = findLocked(childUri);
      refuseLastLocked(c, "fault");
      faultLocked(c, ChildState.FaultReason.BY_CLIENT, "faulted by client", false, events);
    }
    dispatch(events);
  }

  /**
   * Closes a child's device and takes it out of the I/O path (Degraded(Closed)); writes it misses
   * are marked, and {@link #onlineChild} reopens it and copies them. Refused for the last in-sync
   * child.
   */
  public void closeChild(String childUri) throws BdevException {
    checkOpen();
    List<NexusEvent> events = new ArrayList<>();
    Child c;
    synchronized (lock) {
      c = findLocked(childUri);
      refuseLastLocked(c, "close");
      if (c.job != null) {
        c.job.stop("child closed");
      }
      ChildState from = c.state;
      c.state = ChildState.degraded(ChildState.DegradedReason.CLOSED);
      events.add(new NexusEvent.ChildStateChanged(uuid, childUri, from, c.state, "closed"));
      publishLocked(events);
    }
    dispatch(events);
    if (c.dev != null) {
      c.dev.close();
    }
  }

  /**
   * Brings a faulted, closed or out-of-sync child back: reopens it if it was closed or could not
   * be opened, puts it in the write set and rebuilds the segments it missed. It serves reads once
   * they are copied. Returns once the rebuild has started, with its completion; for a child that
   * is Online already, a future completed with null.
   */
  public CompletableFuture<RebuildRecord> onlineChild(String childUri) throws BdevException {
    checkOpen();
    Child c;
    boolean reopen;
    synchronized (lock) {
      c = findLocked(childUri);
      if (c.state.isOnline()) {
        return CompletableFuture.completedFuture(null);
      }
      if (c.joining || c.job != null) {
        throw BdevException.of(BdevException.Kind.INVALID, uri,
            "child " + childUri + " is already being brought online");
      }
      c.joining = true;
      reopen = c.dev == null || c.state instanceof ChildState.Degraded d
          && d.reason() == ChildState.DegradedReason.CLOSED
          || c.state instanceof ChildState.Faulted f
          && f.reason() == ChildState.FaultReason.CANT_OPEN;
    }
    BlockDevice dev = null;
    if (reopen) {
      try {
        dev = openChild(childUri);
      } catch (BdevException e) {
        List<NexusEvent> events = new ArrayList<>();
        synchronized (lock) {
          c.joining = false;
          ChildState from = c.state;
          c.state = ChildState.faulted(ChildState.FaultReason.CANT_OPEN);
          events.add(new NexusEvent.ChildStateChanged(uuid, childUri, from, c.state,
              e.getMessage()));
          publishLocked(events);
        }
        dispatch(events);
        throw e;
      }
    }
    return join(c, dev, true);
  }

  private void refuseLastLocked(Child c, String what) throws BdevException {
    if (c.readable() && children.readable.length == 1) {
      throw BdevException.of(BdevException.Kind.INVALID, uri, "refusing to " + what + " child "
          + c.uri + ": it is the last in-sync child of the nexus");
    }
  }

  private BlockDevice openChild(String childUri) throws BdevException {
    BlockDevice dev;
    try {
      dev = opener.open(childUri);
    } catch (BdevException e) {
      throw BdevException.of(e.kind(), uri, "cannot open child " + childUri + ": "
          + e.getMessage(), e);
    }
    String wrong = null;
    if (dev.blockSize() != blockSize) {
      wrong = "has " + dev.blockSize() + "-byte blocks, the nexus " + blockSize;
    } else if (dev.size() < size) {
      wrong = "has " + dev.size() + " bytes, less than the nexus size " + size;
    } else if (dev.bufferAlignment() > alignment) {
      wrong = "needs buffers aligned to " + dev.bufferAlignment() + " bytes, the nexus promises "
          + alignment;
    }
    if (wrong != null) {
      dev.close();
      throw BdevException.of(BdevException.Kind.INVALID, uri, "child " + childUri + " " + wrong);
    }
    try {
      fence(uri, dev, generation);
    } catch (BdevException e) {
      dev.close();
      throw e;
    }
    return dev;
  }

  /**
   * Before a child takes any write of this nexus: makes this nexus its only writer for {@code
   * generation}, when the child is a remote replica that can be fenced (a local device needs
   * nothing). Fails when a nexus of a generation as new or newer holds it: this one is stale.
   */
  private static void fence(String name, BlockDevice dev, long generation) throws BdevException {
    if (generation == 0) {
      return;
    }
    BlockDevice d = dev;
    while (!(d instanceof io.caspian.bdev.Fenceable)
        && d instanceof io.caspian.bdev.ForwardingDevice f) {
      d = f.inner();
    }
    if (!(d instanceof io.caspian.bdev.Fenceable f)) {
      return;
    }
    try {
      f.fence(generation).get(ADMIN_TIMEOUT_S, java.util.concurrent.TimeUnit.SECONDS);
      LOG.log(System.Logger.Level.INFO, "{0}: fenced child {1} with generation {2}", name,
          dev.uri(), generation);
    } catch (java.util.concurrent.ExecutionException e) {
      BdevException.Kind kind = e.getCause() instanceof BdevException b ? b.kind()
          : BdevException.Kind.IO_ERROR;
      throw BdevException.of(kind, name, "cannot fence child " + dev.uri() + " with generation "
          + generation + ": " + e.getCause().getMessage(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw BdevException.of(BdevException.Kind.TIMED_OUT, name, "fencing child " + dev.uri()
          + " took over " + ADMIN_TIMEOUT_S + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw BdevException.of(BdevException.Kind.IO_ERROR, name, "interrupted fencing child "
          + dev.uri());
    }
  }

  /** The generation this nexus fences its remote children with; 0 when it fences none. */
  public long generation() {
    return generation;
  }

  /**
   * Moves {@code c} into the write set while no write is in flight, then starts a rebuild of its
   * marked segments. Waits until the job has started; returns its completion.
   */
  private CompletableFuture<RebuildRecord> join(Child c, BlockDevice reopened, boolean partial)
      throws BdevException {
    CompletableFuture<RebuildJob> started = new CompletableFuture<>();
    gate.lockAll(() -> {
      List<NexusEvent> events = new ArrayList<>();
      RebuildJob job = null;
      BdevException refused = null;
      try {
        synchronized (lock) {
          c.joining = false;
          BlockDevice src = host.pickSource(null);
          if (closed || c.removed) {
            refused = BdevException.of(BdevException.Kind.CLOSED, uri,
                "child " + c.uri + " was removed or the nexus closed while joining");
          } else if (src == null) {
            refused = BdevException.of(BdevException.Kind.IO_ERROR, uri,
                "no in-sync child to rebuild " + c.uri + " from");
          } else {
            if (reopened != null) {
              c.dev = reopened;
            }
            c.errors.reset();
            ChildState from = c.state;
            c.state = ChildState.degraded(ChildState.DegradedReason.OUT_OF_SYNC);
            job = new RebuildJob(src, c.dev, c.dirty, gate, host, executor, rebuildOptions,
                partial);
            c.job = job;
            events.add(new NexusEvent.ChildStateChanged(uuid, c.uri, from, c.state,
                partial ? "rebuilding segments written while away" : "full rebuild"));
            events.add(new NexusEvent.RebuildStarted(uuid, c.uri, src.uri(), partial,
                c.dirty.dirtyBytes() / blockSize));
            publishLocked(events);
          }
        }
      } finally {
        gate.unlockAll();
      }
      try {
        if (job != null) {
          job.start();
        } else if (reopened != null) {
          reopened.close();
        }
        dispatch(events);
      } catch (RuntimeException e) {
        refused = BdevException.of(BdevException.Kind.IO_ERROR, uri,
            "starting the rebuild of " + c.uri + " failed: " + e, e);
      }
      if (refused != null) {
        started.completeExceptionally(refused);
      } else {
        started.complete(job);
      }
    });
    try {
      return started.get(ADMIN_TIMEOUT_S, TimeUnit.SECONDS).completion();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof BdevException be) {
        throw be;
      }
      throw BdevException.of(BdevException.Kind.IO_ERROR, uri, c.uri + " could not join", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw BdevException.of(BdevException.Kind.IO_ERROR, uri, "interrupted while "
          + c.uri + " joined", e);
    } catch (TimeoutException e) {
      throw BdevException.of(BdevException.Kind.TIMED_OUT, uri, "writes did not drain within "
          + ADMIN_TIMEOUT_S + " s while " + c.uri + " joined (called from an I/O completion?)", e);
    }
  }

  // ---------------------------------------------------------------- rebuild control

  private RebuildJob jobOf(String childUri) throws BdevException {
    synchronized (lock) {
      Child c = findLocked(childUri);
      if (c.job == null) {
        throw BdevException.of(BdevException.Kind.INVALID, uri,
            "no rebuild is running onto " + childUri);
      }
      return c.job;
    }
  }

  public void pauseRebuild(String childUri) throws BdevException {
    RebuildJob j = jobOf(childUri);
    try {
      j.pause();
    } catch (IllegalStateException e) {
      throw BdevException.of(BdevException.Kind.INVALID, uri, e.getMessage());
    }
  }

  public void resumeRebuild(String childUri) throws BdevException {
    RebuildJob j = jobOf(childUri);
    try {
      j.resume();
    } catch (IllegalStateException e) {
      throw BdevException.of(BdevException.Kind.INVALID, uri, e.getMessage());
    }
  }

  /**
   * Stops the rebuild; the child stays Degraded(OutOfSync) in the write set with its remaining
   * segments marked, and {@link #onlineChild} resumes from there.
   */
  public void stopRebuild(String childUri) throws BdevException {
    jobOf(childUri).stop("stopped by request");
  }

  public RebuildState rebuildState(String childUri) throws BdevException {
    return jobOf(childUri).state();
  }

  public RebuildStats rebuildStats(String childUri) throws BdevException {
    return jobOf(childUri).stats();
  }

  /** Completes with the record of the running rebuild onto {@code childUri} once it is final. */
  public CompletableFuture<RebuildRecord> rebuildCompletion(String childUri) throws BdevException {
    return jobOf(childUri).completion();
  }

  /** Finished rebuild jobs, oldest first (the last {@value #HISTORY}). */
  public List<RebuildRecord> rebuildHistory() {
    synchronized (lock) {
      return List.copyOf(history);
    }
  }

  @Override
  public String toString() {
    return "Nexus[" + uri + ", " + size + " bytes, " + state() + "]";
  }

  /** The nexus as its rebuild jobs see it. */
  private final class Host implements RebuildHost {

    @Override
    public boolean inSync(BlockDevice dev) {
      for (Child c : children.readable) {
        if (c.dev == dev) {
          return !c.removed;
        }
      }
      return false;
    }

    @Override
    public boolean receivesWrites(BlockDevice dev) {
      for (Child c : children.writable) {
        if (c.dev == dev) {
          return !c.removed;
        }
      }
      return false;
    }

    @Override
    public BlockDevice pickSource(BlockDevice avoid) {
      BlockDevice remote = null;
      for (Child c : children.readable) {
        if (c.dev == avoid || c.removed) {
          continue;
        }
        if (!c.uri.startsWith("nvmf:")) {
          return c.dev;
        }
        if (remote == null) {
          remote = c.dev;
        }
      }
      return remote;
    }

    @Override
    public long frontEndActivity() {
      return pool.activity();
    }

    @Override
    public void sourceReadFailed(BlockDevice source, BdevException error) {
      Child c = childOf(source);
      if (c != null) {
        childIoFailed(c, IoType.READ, error);
      }
    }

    @Override
    public void finished(RebuildJob job) {
      List<NexusEvent> events = new ArrayList<>();
      synchronized (lock) {
        RebuildRecord rec = job.record();
        history.addLast(rec);
        while (history.size() > HISTORY) {
          history.removeFirst();
        }
        Child c = null;
        for (Child m : members) {
          if (m.job == job) {
            c = m;
          }
        }
        if (c != null) {
          c.job = null;
          ChildState from = c.state;
          if (job.state() == RebuildState.COMPLETED && c.writable() && !from.isOnline()
              && c.dirty.nextDirty(0) < 0) {
            c.state = ChildState.ONLINE;
            c.rebuildAll = false;
          } else if (job.state() == RebuildState.FAILED
              && !from.equals(ChildState.faulted(ChildState.FaultReason.BY_CLIENT))) {
            // A client's fault says more than the rebuild failure it caused.
            c.state = ChildState.faulted(ChildState.FaultReason.REBUILD_FAILED);
          }
          if (!from.equals(c.state)) {
            events.add(new NexusEvent.ChildStateChanged(uuid, c.uri, from, c.state,
                rec.cause() == null ? "rebuild completed" : rec.cause()));
            publishLocked(events);
          }
        }
        events.add(new NexusEvent.RebuildFinished(uuid, rec));
      }
      dispatch(events);
    }
  }
}
