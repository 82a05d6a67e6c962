package io.caspian.pool;

import static io.caspian.pool.PoolException.Kind.CLOSED;
import static io.caspian.pool.PoolException.Kind.CONFLICT;
import static io.caspian.pool.PoolException.Kind.INVALID;
import static io.caspian.pool.PoolException.Kind.IO;
import static io.caspian.pool.PoolException.Kind.NOT_FOUND;
import static io.caspian.pool.PoolException.Kind.NO_SPACE;
import static io.caspian.pool.PoolException.Kind.TOO_MANY_REPLICAS;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.IoStats;
import io.caspian.pool.MetaCommand.Abandon;
import io.caspian.pool.MetaCommand.Allocate;
import io.caspian.pool.MetaCommand.CreateReplica;
import io.caspian.pool.MetaCommand.DestroyReplica;
import io.caspian.pool.MetaCommand.PlanCreate;
import io.caspian.pool.MetaCommand.PlanResize;
import io.caspian.pool.MetaCommand.ResizeReplica;
import io.caspian.pool.MetaCommand.Stop;
import io.caspian.pool.MetaEntry.ClustersAllocated;
import io.caspian.pool.MetaEntry.ReplicaCreated;
import io.caspian.pool.MetaEntry.ReplicaDestroyed;
import io.caspian.pool.MetaEntry.ReplicaResized;
import io.caspian.pool.Plan.Zero;
import io.caspian.pool.PoolState.ReplicaMeta;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The one thread that changes pool metadata. Commands queue up from control calls and from the
 * I/O path (thin allocation, which must not block its submitter); the writer takes what is queued
 * (group commit), applies each command to the {@link PoolState}, zeroes newly allocated thin
 * clusters, makes the batch durable as one log record (or a checkpoint when the log is full or
 * the batch does not fit a record), and only then publishes the changes to the live replicas and
 * answers. Thick space is first set aside by a {@link Plan} that the caller zeroes on its own
 * thread, then committed by a second command.
 *
 * <p>A failed metadata write leaves memory ahead of the disk, so the writer then refuses every
 * further change; exporting and importing the pool reloads the truth from disk.
 */
final class MetaWriter implements Runnable {

  private static final System.Logger LOG = System.getLogger(MetaWriter.class.getName());

  /** Stop filling a record when less than this is left: a create entry may need ~300 bytes. */
  private static final int RECORD_SLACK = 320;

  /** A prepared command: its entry (null when nothing changes), and how to answer it. */
  private record Step(MetaEntry entry, List<Zero> zero, Runnable onDurable,
      Consumer<BdevException> onFailure) {}


  private final BlockDevice disk;
  private final String uri;
  private final Superblock sb;
  private final MetaStore store;
  private final PoolState state;
  private final Map<UUID, Replica> live = new ConcurrentHashMap<>();
  /** Plans handed out and not yet committed or abandoned, by replica. */
  private final Map<UUID, Plan> planned = new HashMap<>();
  /** Names of thick replicas being created. */
  private final Map<String, UUID> plannedNames = new HashMap<>();
  private final ArrayDeque<MetaCommand> queue = new ArrayDeque<>();
  private final Thread thread;
  private boolean stopped;
  /** Set on the writer thread only; read by others through {@link #failure()}. */
  private volatile BdevException failed;
  /** Told at once when a metadata write fails, so the pool's owner marks it Faulted. */
  private volatile PoolWatcher watcher;
  private int cursor;
  private volatile PoolStats stats;
  /**
   * Whether the replicas count their reads and writes for the metrics; read by every replica I/O
   * (a plain load on x86), so a bench can turn counting off and on between measurements.
   */
  volatile boolean countIo = true;
  /** The I/O counts of the replicas destroyed so far, so the pool's own counts never go back. */
  private volatile IoStats retired = IoStats.ZERO;

  MetaWriter(BlockDevice disk, Superblock sb, MetaStore store, PoolState state) {
    this.disk = disk;
    this.uri = disk.uri();
    this.sb = sb;
    this.store = store;
    this.state = state;
    state.holdFrees();
    for (ReplicaMeta m : state.replicas()) {
      live.put(m.uuid, newReplica(m));
    }
    publishStats();
    this.thread = new Thread(this, "pool-meta-" + sb.name());
    thread.setDaemon(true);
    thread.start();
  }

  Collection<Replica> replicas() {
    return live.values();
  }

  /** The counts of the live replicas and of those destroyed; each field exact, not one instant. */
  IoStats ioStats() {
    IoStats sum = retired;
    for (Replica r : live.values()) {
      sum = sum.plus(r.ioStats());
    }
    return sum;
  }

  Replica replica(UUID uuid) {
    return live.get(uuid);
  }

  PoolStats stats() {
    return stats;
  }

  /** Queues a command; after {@link Stop} commands are answered with CLOSED at once. */
  void submit(MetaCommand c) {
    synchronized (queue) {
      if (!stopped) {
        queue.addLast(c);
        queue.notifyAll();
        return;
      }
    }
    reject(c, PoolException.of(CLOSED, uri, "pool '" + sb.name() + "' is exported"));
  }

  /** Commands waiting for the writer (tests use it to line up races). */
  int queued() {
    synchronized (queue) {
      return queue.size();
    }
  }

  /** Waits for the writer thread to end after a {@link Stop}. */
  void join() {
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void run() {
    while (true) {
      List<Step> steps = new ArrayList<>();
      Stop stop = null;
      int bytes = 0;
      MetaCommand c = take();
      while (c != null) {
        if (c instanceof Stop s) {
          stop = s;
          break;
        }
        Step step = prepare(c);
        if (step != null) {
          steps.add(step);
          bytes += step.entry == null ? 0 : MetaCodec.size(step.entry);
        }
        if (bytes > MetaCodec.LOG_PAYLOAD - RECORD_SLACK) {
          break;
        }
        c = poll();
      }
      commit(steps);
      if (stop != null) {
        List<MetaCommand> rest;
        synchronized (queue) {
          stopped = true;
          rest = new ArrayList<>(queue);
          queue.clear();
        }
        for (MetaCommand r : rest) {
          reject(r, PoolException.of(CLOSED, uri, "pool '" + sb.name() + "' is exported"));
        }
        stop.result().complete(null);
        return;
      }
    }
  }

  private MetaCommand take() {
    synchronized (queue) {
      while (queue.isEmpty()) {
        try {
          queue.wait();
        } catch (InterruptedException e) {
          // The writer ends only through Stop, so that no queued command goes unanswered.
        }
      }
      return queue.pollFirst();
    }
  }

  private MetaCommand poll() {
    synchronized (queue) {
      return queue.pollFirst();
    }
  }

  private Step prepare(MetaCommand c) {
    try {
      if (failed != null) {
        throw PoolException.of(IO, uri, "pool '" + sb.name() + "' refuses metadata changes after"
            + " a failed metadata write (" + failed.getMessage() + "); export and import it",
            failed);
      }
      if (c instanceof CreateReplica cr) {
        return create(cr);
      } else if (c instanceof PlanCreate pc) {
        pc.result().complete(planCreate(pc));
        return null;
      } else if (c instanceof DestroyReplica d) {
        return destroy(d);
      } else if (c instanceof PlanResize pr) {
        return planResize(pr);
      } else if (c instanceof ResizeReplica r) {
        return resize(r);
      } else if (c instanceof Abandon a) {
        abandon(a.plan());
        a.result().complete(null);
        return null;
      } else if (c instanceof Allocate a) {
        return allocate(a);
      }
      throw new IllegalArgumentException("unexpected command " + c);
    } catch (PoolException e) {
      reject(c, e);
      return null;
    } catch (RuntimeException e) {
      // A bug, but the state may be half changed: stop changing metadata, keep answering.
      failed = BdevException.of(BdevException.Kind.IO_ERROR, uri, "internal error", e);
      reject(c, PoolException.of(IO, uri, "internal error in the metadata writer", e));
      return null;
    }
  }

  /**
   * Creates a thin replica, or commits a thick one whose planned clusters the caller zeroed.
   */
  private Step create(CreateReplica c) throws PoolException {
    List<Run> runs = List.of();
    if (c.thin()) {
      ReplicaMeta existing = checkNew(c.uuid(), c.name(), c.size(), true);
      if (existing != null) {
        return new Step(null, List.of(), () -> c.result().complete(live.get(c.uuid())),
            e -> c.result().completeExceptionally(io(e)));
      }
    } else {
      commitPlan(c.uuid(), c.plan());
      plannedNames.remove(c.name());
      runs = c.plan().runs();
    }
    ReplicaCreated entry = new ReplicaCreated(c.uuid(), c.name(), c.size(), c.thin(), runs);
    state.apply(entry);
    Replica r = newReplica(state.replica(c.uuid()));
    return new Step(entry, List.of(), () -> {
      live.put(c.uuid(), r);
      c.result().complete(r);
    }, e -> c.result().completeExceptionally(io(e)));
  }

  /** Sets aside zeroing work and clusters for a thick replica, or finds it already there. */
  private Plan planCreate(PlanCreate c) throws PoolException {
    ReplicaMeta existing = checkNew(c.uuid(), c.name(), c.size(), false);
    if (existing != null) {
      return new Plan(c.uuid(), c.size(), List.of(), List.of(), live.get(c.uuid()));
    }
    String where = uri + " replica " + c.uuid();
    List<Run> runs = reserve(where, 0, (int) state.clustersFor(c.size()), c.size());
    Plan plan = new Plan(c.uuid(), c.size(), runs, zeroes(runs), null);
    planned.put(c.uuid(), plan);
    plannedNames.put(c.name(), c.uuid());
    return plan;
  }

  /**
   * Checks a create; returns the replica when it exists with this very spec (an idempotent
   * repeat), null when it may be created.
   */
  private ReplicaMeta checkNew(UUID uuid, String name, long size, boolean thin)
      throws PoolException {
    String where = uri + " replica " + uuid;
    Superblock.checkName(where, "replica", name);
    checkSize(where, size);
    ReplicaMeta existing = state.replica(uuid);
    if (existing != null) {
      if (existing.name.equals(name) && existing.size == size && existing.thin == thin) {
        return existing;
      }
      throw PoolException.of(CONFLICT, where, "exists as " + describe(existing)
          + ", not " + describe(name, size, thin));
    }
    if (planned.containsKey(uuid)) {
      throw PoolException.of(CONFLICT, where, "is being created by another request");
    }
    UUID holder = plannedNames.get(name);
    for (ReplicaMeta m : state.replicas()) {
      if (m.name.equals(name)) {
        holder = m.uuid;
      }
    }
    if (holder != null) {
      throw PoolException.of(CONFLICT, where, "name '" + name + "' is taken by replica " + holder);
    }
    if (state.replicas().size() + plannedNames.size() >= sb.maxReplicas()) {
      throw PoolException.of(TOO_MANY_REPLICAS, where, "pool '" + sb.name() + "' already holds "
          + sb.maxReplicas() + " replicas");
    }
    return null;
  }

  /** Takes back a plan at commit: its clusters stop being merely reserved. */
  private void commitPlan(UUID uuid, Plan plan) throws PoolException {
    if (plan == null || planned.get(uuid) != plan) {
      throw PoolException.of(CONFLICT, uri + " replica " + uuid, "the planned change was"
          + " abandoned or replaced");
    }
    planned.remove(uuid);
    state.unreserve(plan.runs());
  }

  private void abandon(Plan plan) {
    if (planned.remove(plan.uuid(), plan)) {
      state.unreserve(plan.runs());
      plannedNames.values().remove(plan.uuid());
    }
  }

  private Step destroy(DestroyReplica d) throws PoolException {
    ReplicaMeta m = state.replica(d.uuid());
    if (m == null) {
      throw PoolException.of(NOT_FOUND, uri + " replica " + d.uuid(), "no such replica in pool '"
          + sb.name() + "'");
    }
    if (planned.containsKey(d.uuid())) {
      throw PoolException.of(CONFLICT, uri + " replica " + d.uuid(), "is being resized");
    }
    Replica r = live.get(d.uuid());
    if (r != null) {
      r.close();
    }
    ReplicaDestroyed entry = new ReplicaDestroyed(d.uuid());
    state.apply(entry);
    return new Step(entry, List.of(), () -> {
      Replica gone = live.remove(d.uuid());
      if (gone != null) {
        gone.close();
        retired = retired.plus(gone.ioStats());
      }
      d.result().complete(null);
    }, e -> d.result().completeExceptionally(io(e)));
  }

  /**
   * Sets aside what a resize needs: new clusters of a thick replica, and zeroing of the tail a
   * shrink may have left in the last cluster (growth must expose zeroes there). A resize that
   * needs neither (a shrink, most thin growth) is made at once and answered with {@link
   * Plan#DONE}; one that keeps the size is answered with DONE without a change.
   */
  private Step planResize(PlanResize z) throws PoolException {
    String where = uri + " replica " + z.uuid();
    ReplicaMeta m = state.replica(z.uuid());
    if (m == null) {
      throw PoolException.of(NOT_FOUND, where, "no such replica in pool '" + sb.name() + "'");
    }
    checkSize(where, z.size());
    if (planned.containsKey(z.uuid())) {
      throw PoolException.of(CONFLICT, where, "is being resized by another request");
    }
    if (z.size() == m.size) {
      z.result().complete(Plan.DONE);
      return null;
    }
    int oldClusters = m.map.length;
    int newClusters = (int) state.clustersFor(z.size());
    List<Run> runs = List.of();
    if (!m.thin && newClusters > oldClusters) {
      runs = reserve(where, oldClusters, newClusters - oldClusters, z.size() - m.size);
    }
    List<Zero> zero = new ArrayList<>(zeroes(runs));
    long tail = m.size & (sb.clusterSize() - 1);
    if (z.size() > m.size && tail != 0 && m.map[oldClusters - 1] != 0) {
      zero.add(new Zero(sb.clusterOffset(m.map[oldClusters - 1] - 1) + tail,
          sb.clusterSize() - tail));
    }
    Plan plan = new Plan(z.uuid(), z.size(), runs, zero, null);
    planned.put(z.uuid(), plan);
    if (!zero.isEmpty()) {
      z.result().complete(plan);
      return null;
    }
    CompletableFuture<Plan> answer = z.result();
    return resize(z.uuid(), z.size(), plan, () -> answer.complete(Plan.DONE),
        e -> answer.completeExceptionally(io(e)));
  }

  private Step resize(ResizeReplica z) throws PoolException {
    return resize(z.uuid(), z.size(), z.plan(), () -> z.result().complete(null),
        e -> z.result().completeExceptionally(io(e)));
  }

  private Step resize(UUID uuid, long size, Plan plan, Runnable answer,
      Consumer<BdevException> fail) throws PoolException {
    commitPlan(uuid, plan);
    ReplicaResized entry = new ReplicaResized(uuid, size, plan.runs());
    state.apply(entry);
    return new Step(entry, List.of(), () -> {
      live.get(uuid).resize(size, plan.runs());
      answer.run();
    }, fail);
  }

  private Step allocate(Allocate a) throws PoolException {
    Replica r = a.replica();
    ReplicaMeta m = state.replica(r.uuid());
    if (m == null || live.get(r.uuid()) != r || r.isClosed()) {
      throw PoolException.of(CLOSED, r.uri(), "replica is closed");
    }
    int lc = a.logical();
    if (lc >= m.map.length) {
      throw PoolException.of(INVALID, r.uri(), "cluster " + lc + " is past the end of the replica"
          + " (it shrank)");
    }
    if (m.map[lc] != 0) {
      int p = m.map[lc];
      return new Step(null, List.of(), () -> r.allocationDone(lc, p, null),
          e -> r.allocationDone(lc, 0, e));
    }
    int pc = state.pickOne(cursor);
    if (pc < 0) {
      throw PoolException.of(NO_SPACE, r.uri(), "pool '" + sb.name() + "' on " + uri
          + " has no free cluster for a thin allocation");
    }
    cursor = pc + 1;
    List<Run> run = List.of(new Run(lc, pc, 1));
    ClustersAllocated entry = new ClustersAllocated(r.uuid(), run);
    state.apply(entry);
    return new Step(entry, zeroes(run), () -> allocated(r, m, lc, pc),
        e -> r.allocationDone(lc, 0, e));
  }

  /**
   * Answers an allocation once durable. A destroy or shrink in the same batch may have freed the
   * cluster again; its waiting writes must then fail rather than land in a cluster that is about
   * to get a new owner.
   */
  private void allocated(Replica r, ReplicaMeta m, int lc, int pc) {
    ReplicaMeta now = state.replica(r.uuid());
    if (now == m && lc < m.map.length && m.map[lc] == pc + 1) {
      r.allocationDone(lc, pc + 1, null);
    } else if (now != m) {
      r.allocationDone(lc, 0, BdevException.io(BdevException.Kind.CLOSED, r.uri(),
          "replica was destroyed while a write waited for its cluster"));
    } else {
      r.allocationDone(lc, 0, BdevException.io(BdevException.Kind.OUT_OF_RANGE, r.uri(),
          "replica shrank while a write waited for its cluster"));
    }
  }

  private List<Zero> zeroes(List<Run> runs) {
    List<Zero> out = new ArrayList<>(runs.size());
    for (Run r : runs) {
      out.add(new Zero(sb.clusterOffset(r.physical()), (long) r.length() << sb.clusterShift()));
    }
    return out;
  }

  /** Picks free clusters and marks them used, so no one else picks them before the commit. */
  private List<Run> reserve(String where, int logical, int clusters, long bytes)
      throws PoolException {
    List<Run> runs = state.pickRuns(logical, clusters);
    if (runs == null) {
      throw PoolException.of(NO_SPACE, where, "thick replica needs " + bytes + " more bytes ("
          + clusters + " clusters) but pool '" + sb.name() + "' has "
          + (long) state.freeClusters() * sb.clusterSize() + " bytes free");
    }
    state.reserve(runs);
    return runs;
  }


  private void checkSize(String where, long size) throws PoolException {
    if (size <= 0 || size % sb.blockSize() != 0) {
      throw PoolException.of(INVALID, where, "size " + size + " is not a positive multiple of the "
          + sb.blockSize() + "-byte block size");
    }
    if (state.clustersFor(size) > Replica.MAX_CLUSTERS) {
      throw PoolException.of(INVALID, where, "size " + size + " exceeds the largest replica ("
          + (long) Replica.MAX_CLUSTERS * sb.clusterSize() + " bytes)");
    }
    if (!PoolState.mapFits(state.clustersFor(size))) {
      throw PoolException.of(INVALID, where, "size " + size + " needs an extent map of "
          + state.clustersFor(size) * Integer.BYTES + " bytes, more than a quarter of this"
          + " io-engine's heap; use larger clusters or a larger heap");
    }
  }

  private void commit(List<Step> steps) {
    if (steps.isEmpty()) {
      return;
    }
    List<MetaEntry> entries = new ArrayList<>(steps.size());
    try {
      List<Zero> zero = new ArrayList<>();
      for (Step s : steps) {
        zero.addAll(s.zero);
        if (s.entry != null) {
          entries.add(s.entry);
        }
      }
      Zeroing.zeroAndFlush(disk, zero);
      if (!entries.isEmpty()) {
        if (store.fits(entries)) {
          store.append(entries);
        } else {
          store.checkpoint(state.snapshot());
        }
      }
    } catch (BdevException e) {
      fail(steps, e);
      return;
    } catch (RuntimeException e) {
      fail(steps, BdevException.of(BdevException.Kind.IO_ERROR, uri, "internal error", e));
      return;
    }
    // Stats first: answering may run the caller's completion inline, which may look at them.
    publishStats();
    for (Step s : steps) {
      answer(s.onDurable);
    }
    state.releaseHeld();
  }

  void watch(PoolWatcher w) {
    watcher = w;
    BdevException f = failed;
    if (f != null) {
      w.metadataFailed(f.getMessage());
    }
  }

  /** The failed metadata write that made this writer refuse changes, or null. */
  BdevException failure() {
    return failed;
  }

  private void fail(List<Step> steps, BdevException e) {
    boolean first = failed == null;
    failed = e;
    PoolWatcher w = watcher;
    if (first && w != null) {
      w.metadataFailed(e.getMessage());
    }
    for (Step s : steps) {
      answer(() -> s.onFailure.accept(e));
    }
  }

  /**
   * Runs an answer. Answers can run callers' I/O completions inline; one that throws must not
   * stop the writer or the other answers.
   */
  private void answer(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "pool '" + sb.name() + "': a completion threw", e);
    }
  }

  private void publishStats() {
    long capacity = (long) sb.clusterCount() * sb.clusterSize();
    long used = (long) state.usedClusters() * sb.clusterSize();
    stats = new PoolStats(capacity, used, capacity - used, state.committedThin());
  }

  private Replica newReplica(ReplicaMeta m) {
    return new Replica(this, disk, sb, m.uuid, m.name, m.thin, m.size, m.map.clone());
  }

  private void reject(MetaCommand c, PoolException e) {
    if (c instanceof CreateReplica cr) {
      cr.result().completeExceptionally(e);
    } else if (c instanceof DestroyReplica d) {
      d.result().completeExceptionally(e);
    } else if (c instanceof ResizeReplica r) {
      r.result().completeExceptionally(e);
    } else if (c instanceof PlanCreate pc) {
      pc.result().completeExceptionally(e);
    } else if (c instanceof PlanResize pr) {
      pr.result().completeExceptionally(e);
    } else if (c instanceof Abandon a) {
      a.result().complete(null);
    } else if (c instanceof Allocate a) {
      a.replica().allocationDone(a.logical(), 0, BdevException.io(bdevKind(e.kind()),
          a.replica().uri(), e.detail()));
    } else if (c instanceof Stop s) {
      s.result().complete(null);
    }
  }

  private static BdevException.Kind bdevKind(PoolException.Kind k) {
    return switch (k) {
      case NO_SPACE -> BdevException.Kind.NO_SPACE;
      case CLOSED -> BdevException.Kind.CLOSED;
      case INVALID -> BdevException.Kind.OUT_OF_RANGE;
      default -> BdevException.Kind.IO_ERROR;
    };
  }

  private PoolException io(BdevException e) {
    return PoolException.of(IO, uri, "metadata write failed: " + e.getMessage(), e);
  }

  private static String describe(ReplicaMeta m) {
    return describe(m.name, m.size, m.thin);
  }

  private static String describe(String name, long size, boolean thin) {
    return "'" + name + "' of " + size + " bytes, " + (thin ? "thin" : "thick");
  }
}
