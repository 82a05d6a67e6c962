package io.caspian.rebuild;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.IoCompletion;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Copies the segments marked in a {@link SegmentMap} from an in-sync source onto a destination
 * that already receives every front-end write.
 *
 * <p>Each of up to {@link RebuildOptions#MAX_TASKS} tasks claims the next marked segment, locks
 * its stripe of the {@link RangeGate} (waiting for writes inside to leave), reads the source,
 * writes the destination, clears the mark and unlocks. Every step that follows a completion is
 * handed to the executor, so device completions that run inline never recurse. A segment the
 * source never allocated is not copied: the destination gets write-zeroes there only if it may
 * hold data itself.
 *
 * <p>A failed source read is counted against that source and the segment is retried on another
 * in-sync child; the job fails when none is left, or when the destination fails or stops
 * receiving writes. The job completes only after a flush of the destination has succeeded. When
 * the last task goes idle with marks still set (a paused or re-marked segment behind the cursor),
 * the scan starts again from the beginning, so a completed job leaves no mark behind.
 *
 * <p>A rebuild yields to the workload (unless its options say not to), as DRBD's resync controller
 * does: while the nexus has served front-end I/O within the last {@link #QUIET_NANOS}, one task
 * copies, and after each segment it waits {@link #YIELD_FACTOR} times as long as that segment's
 * copy took, so the rebuild takes at most a fifth of one queue's time however fast the devices
 * are and the workload keeps the rest. Once the front end is quiet, every task runs again at full
 * speed. The job notices at each segment it claims, so a change takes effect within one segment.
 */
public final class RebuildJob {

  private static final int MAX_SOURCE_ATTEMPTS = 4;

  /**
   * How long the front end must have done nothing before the rebuild takes every task again: long
   * enough to span the gaps of a workload at queue depth 1 on a slow disk, short enough that an
   * idle volume's rebuild loses nothing that matters.
   */
  static final long QUIET_NANOS = 50_000_000;

  /**
   * While yielding, each segment is followed by a pause of this many times its copy's duration:
   * the copy then takes at most 1 / (1 + YIELD_FACTOR) of one queue. bench/nexus's
   * io_during_rebuild_over_idle measures what the workload keeps.
   */
  static final int YIELD_FACTOR = 4;

  private final BlockDevice dest;
  private final SegmentMap map;
  private final RangeGate gate;
  private final RebuildHost host;
  private final ScheduledExecutorService executor;
  private final boolean partial;
  private final AtomicLong recoveredBytes = new AtomicLong();
  private final CompletableFuture<RebuildRecord> done = new CompletableFuture<>();
  private final ArrayDeque<Task> idle = new ArrayDeque<>();
  private final Task[] tasks = new Task[RebuildOptions.MAX_TASKS];

  private volatile RebuildOptions options;
  private volatile BlockDevice source;
  private volatile RebuildState state = RebuildState.INIT;
  private volatile int active;
  private long cursor;
  private long totalBytes;
  private long nextSlotNanos;
  /** The front end's activity number when last read, and when it last changed (see {@link #yielding}). */
  private long seenActivity;
  private long busyUntilNanos;
  private boolean yielding;
  private long startNanos;
  private long endNanos;
  private Instant startTime;
  private Instant endTime;
  private String cause;

  /**
   * @param partial whether {@code map} holds only the segments written while {@code dest} was
   *     away (reported in statistics and history)
   */
  public RebuildJob(BlockDevice source, BlockDevice dest, SegmentMap map, RangeGate gate,
      RebuildHost host, ScheduledExecutorService executor, RebuildOptions options,
      boolean partial) {
    this.source = source;
    this.dest = dest;
    this.map = map;
    this.gate = gate;
    this.host = host;
    this.executor = executor;
    this.options = options;
    this.partial = partial;
    for (int i = 0; i < tasks.length; i++) {
      tasks[i] = new Task();
      idle.push(tasks[i]);
    }
  }

  public BlockDevice destination() {
    return dest;
  }

  public BlockDevice source() {
    return source;
  }

  public boolean partial() {
    return partial;
  }

  public RebuildState state() {
    return state;
  }

  /** Completes with the job's record once it is final and nothing is in flight. */
  public CompletableFuture<RebuildRecord> completion() {
    return done;
  }

  /**
   * Starts copying. The destination must already receive every front-end write. A no-op for a job
   * stopped or failed before it started (its owner may end it as soon as it exists).
   */
  public void start() {
    synchronized (this) {
      if (state.isFinal()) {
        return;
      }
      if (state != RebuildState.INIT) {
        throw new IllegalStateException(describe() + " was already started (" + state + ")");
      }
      state = RebuildState.RUNNING;
      totalBytes = map.dirtyBytes();
      // what the front end did before the job began is no reason to yield
      seenActivity = host.frontEndActivity();
      startTime = Instant.now();
      startNanos = System.nanoTime();
    }
    launch();
  }

  public void pause() {
    synchronized (this) {
      if (state != RebuildState.RUNNING) {
        throw new IllegalStateException("cannot pause " + describe() + ": it is " + state);
      }
      state = RebuildState.PAUSED;
    }
  }

  public void resume() {
    synchronized (this) {
      if (state != RebuildState.PAUSED) {
        throw new IllegalStateException("cannot resume " + describe() + ": it is " + state);
      }
      state = RebuildState.RUNNING;
    }
    launch();
  }

  /** Stops the job; segments not yet copied stay marked. A no-op once final. */
  public void stop(String why) {
    end(RebuildState.STOPPED, why);
  }

  /** Ends the job as failed; a no-op once final. */
  public void fail(String why) {
    end(RebuildState.FAILED, why);
  }

  /** Changes tasks and bandwidth of a running job. */
  public void setOptions(RebuildOptions opts) {
    this.options = opts;
    launch();
  }

  public RebuildOptions options() {
    return options;
  }

  public synchronized RebuildStats stats() {
    int bs = dest.blockSize();
    long recovered = recoveredBytes.get();
    long total = Math.max(totalBytes, recovered);
    long remaining = total - recovered;
    int percent = total == 0 ? (state == RebuildState.COMPLETED ? 100 : 0)
        : (int) (recovered * 100 / total);
    long elapsed = (state.isFinal() ? endNanos : System.nanoTime()) - startNanos;
    long rate = startTime == null || elapsed <= 0 ? 0
        : (long) (recovered * 1e9 / elapsed);
    return new RebuildStats(total / bs, recovered / bs, remaining / bs, percent, active,
        startTime, rate);
  }

  /** The job as history keeps it. */
  public synchronized RebuildRecord record() {
    return new RebuildRecord(dest.uri(), source.uri(), partial, state, stats(), cause, endTime);
  }

  private String describe() {
    return "rebuild of " + dest.uri();
  }

  private void end(RebuildState target, String why) {
    boolean finishNow;
    synchronized (this) {
      if (state.isFinal()) {
        return;
      }
      boolean neverStarted = state == RebuildState.INIT;
      state = target;
      cause = why;
      finishNow = active == 0;
      if (neverStarted) {
        startNanos = System.nanoTime();
      }
    }
    if (finishNow) {
      executor.execute(this::finish);
    }
  }

  private void launch() {
    int n = 0;
    Task[] start = new Task[RebuildOptions.MAX_TASKS];
    synchronized (this) {
      while (state == RebuildState.RUNNING && active < limit() && !idle.isEmpty()) {
        start[n++] = idle.pop();
        active++;
      }
    }
    for (int i = 0; i < n; i++) {
      start[i].phase = Phase.CLAIM;
      executor.execute(start[i]);
    }
  }

  /** {@link #claim} result: nothing is left to copy; the caller flushes the destination. */
  private static final long FLUSH = -2;

  /**
   * Picks the next marked segment for {@code t} and returns the delay before copying it; or parks
   * {@code t} and returns -1; or, for the last task when every segment is copied, returns
   * {@link #FLUSH}: the copies must be durable before the destination may count as in sync.
   */
  private long claim(Task t) {
    boolean finish = false;
    boolean rescan = false;
    boolean unyielded = false;
    long delay = -1;
    synchronized (this) {
      long seg = -1;
      if (state == RebuildState.RUNNING) {
        boolean was = yielding;
        yielding = yielding();
        unyielded = was && !yielding;
        if (active <= limit()) {
          seg = map.nextDirty(cursor);
        }
      }
      if (seg >= 0) {
        cursor = seg + 1;
        t.seg = seg;
        delay = Math.max(pace(map.lengthOf(seg)), yielding ? YIELD_FACTOR * t.lastCopyNanos : 0);
      } else if (active == 1 && state == RebuildState.RUNNING && map.nextDirty(0) < 0) {
        return FLUSH;
      } else {
        active--;
        idle.push(t);
        if (active == 0) {
          if (state == RebuildState.RUNNING) {
            cursor = 0;
            rescan = true;
          } else if (state.isFinal()) {
            finish = true;
          }
        }
      }
    }
    if (finish) {
      finish();
    } else if (rescan || unyielded) {
      launch();
    }
    return delay;
  }

  /** Whether the front end was busy within {@link #QUIET_NANOS}; reads its activity number. */
  private boolean yielding() {
    if (!options.yieldToWorkload()) {
      return false;
    }
    long now = System.nanoTime();
    long activity = host.frontEndActivity();
    if (activity != seenActivity) {
      seenActivity = activity;
      busyUntilNanos = now + QUIET_NANOS;
    }
    return now - busyUntilNanos < 0;
  }

  /** Tasks that may copy now: one while yielding to the workload, else as the options say. */
  private int limit() {
    return yielding ? 1 : options.maxTasks();
  }

  /** Bandwidth limit: each segment gets a time slot; returns nanoseconds to wait for it. */
  private long pace(int bytes) {
    long rate = options.bytesPerSecond();
    if (rate == 0) {
      return 0;
    }
    long now = System.nanoTime();
    long slot = Math.max(now, nextSlotNanos);
    nextSlotNanos = slot + (long) (bytes * 1e9 / rate);
    return slot - now;
  }

  private void finish() {
    synchronized (this) {
      endNanos = System.nanoTime();
      endTime = Instant.now();
    }
    try {
      host.finished(this);
    } finally {
      done.complete(record());
    }
  }

  /** The final flush of the destination finished: the job completes, or fails with it. */
  private void flushed(Task t, BdevException error) {
    synchronized (this) {
      if (!state.isFinal()) {
        if (error == null) {
          state = RebuildState.COMPLETED;
        } else {
          state = RebuildState.FAILED;
          cause = "flushing destination " + dest.uri() + " failed: " + error.getMessage();
        }
      }
    }
    taskStopped(t);
  }

  private void taskStopped(Task t) {
    boolean finish = false;
    synchronized (this) {
      active--;
      idle.push(t);
      finish = active == 0 && state.isFinal();
    }
    if (finish) {
      finish();
    }
  }

  private enum Phase { CLAIM, LOCK, COPY, READ, WRITE, FLUSH }

  /** One segment copier; reused for every segment it claims. */
  private final class Task extends RangeGate.Locker implements Runnable, IoCompletion {
    Phase phase = Phase.CLAIM;
    long seg;
    int stripe;
    int attempts;
    BlockDevice src;
    ByteBuffer buf;
    /** When this task's current copy got its segment's lock, and how long its last copy took. */
    long copyStartNanos;
    long lastCopyNanos;

    @Override
    public void run() {
      switch (phase) {
        case CLAIM -> {
          long delay = claim(this);
          if (delay == FLUSH) {
            phase = Phase.FLUSH;
            dest.flush(this);
            return;
          }
          if (delay < 0) {
            return;
          }
          phase = Phase.LOCK;
          stripe = gate.stripeOf(seg);
          attempts = 0;
          if (delay > 0) {
            executor.schedule(this, delay, TimeUnit.NANOSECONDS);
          } else {
            gate.lock(stripe, this);
          }
        }
        case LOCK -> gate.lock(stripe, this);
        case COPY -> copy();
        default -> throw new IllegalStateException("task run in phase " + phase);
      }
    }

    @Override
    protected void locked() {
      copyStartNanos = System.nanoTime();
      phase = Phase.COPY;
      executor.execute(this);
    }

    @Override
    protected void gateOpened() {
      phase = Phase.LOCK;
      executor.execute(this);
    }

    private void copy() {
      if (state != RebuildState.RUNNING || !map.isDirty(seg)) {
        // Paused or stopped: the segment stays marked and a later pass copies it.
        release(state == RebuildState.RUNNING);
        return;
      }
      if (!host.receivesWrites(dest)) {
        fail("destination " + dest.uri() + " no longer receives writes");
        release(false);
        return;
      }
      src = source;
      if (!host.inSync(src)) {
        src = host.pickSource(null);
        if (src == null) {
          fail("no in-sync child is left to copy from");
          release(false);
          return;
        }
        source = src;
      }
      long off = map.offsetOf(seg);
      int len = map.lengthOf(seg);
      if (!src.mayHoldData(off, len)) {
        if (dest.mayHoldData(off, len)) {
          phase = Phase.WRITE;
          dest.writeZeroes(off, len, this);
        } else {
          segmentDone(len);
        }
        return;
      }
      if (buf == null) {
        int align = Math.max(4096, Math.max(src.bufferAlignment(), dest.bufferAlignment()));
        buf = DirectMemory.allocateAligned(map.segmentSize(), align);
      }
      phase = Phase.READ;
      src.read(off, buf, 0, len, this);
    }

    @Override
    public void ioDone(BdevException error) {
      if (phase == Phase.FLUSH) {
        flushed(this, error);
        return;
      }
      long off = map.offsetOf(seg);
      int len = map.lengthOf(seg);
      if (phase == Phase.READ) {
        if (error != null) {
          host.sourceReadFailed(src, error);
          BlockDevice alt = host.pickSource(src);
          if (alt == null || ++attempts >= MAX_SOURCE_ATTEMPTS) {
            fail("reading source " + src.uri() + " failed: " + error.getMessage());
            release(false);
          } else {
            source = alt;
            phase = Phase.COPY;
            executor.execute(this);
          }
          return;
        }
        phase = Phase.WRITE;
        dest.write(off, buf, 0, len, this);
      } else {
        if (error != null) {
          fail("writing destination " + dest.uri() + " failed: " + error.getMessage());
          release(false);
          return;
        }
        segmentDone(len);
      }
    }

    private void segmentDone(int len) {
      lastCopyNanos = System.nanoTime() - copyStartNanos;
      map.clear(seg);
      recoveredBytes.addAndGet(len);
      release(true);
    }

    /** Unlocks the segment, then claims the next one or parks. */
    private void release(boolean next) {
      gate.unlock(stripe);
      if (next) {
        phase = Phase.CLAIM;
        executor.execute(this);
      } else {
        taskStopped(this);
      }
    }
  }
}
