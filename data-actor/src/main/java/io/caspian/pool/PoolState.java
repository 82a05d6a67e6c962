package io.caspian.pool;

import io.caspian.pool.MetaEntry.ClustersAllocated;
import io.caspian.pool.MetaEntry.ReplicaCreated;
import io.caspian.pool.MetaEntry.ReplicaDestroyed;
import io.caspian.pool.MetaEntry.ReplicaResized;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The pool metadata in memory: the replica table with extent maps, and the cluster bitmap
 * derived from them. It changes only by {@link #apply}, both when replaying the log at import
 * and when the metadata writer makes a change, so a replayed pool equals the pool that wrote the
 * log. Apply checks every invariant (no cluster owned twice, maps inside the replica and the
 * pool, thick replicas fully allocated) and throws {@link IllegalStateException} on a breach.
 *
 * <p>Not thread-safe: the metadata writer thread owns it after import.
 */
final class PoolState {

  /** One replica's persistent description. {@code map[lc]} is the physical cluster + 1, or 0. */
  static final class ReplicaMeta {
    final UUID uuid;
    final String name;
    final boolean thin;
    long size;
    int[] map;
    int allocated;

    ReplicaMeta(UUID uuid, String name, boolean thin, long size, int clusters) {
      this.uuid = uuid;
      this.name = name;
      this.thin = thin;
      this.size = size;
      this.map = new int[clusters];
    }

    ReplicaCreated asCreated() {
      return new ReplicaCreated(uuid, name, size, thin, Run.of(map, map.length));
    }
  }

  private final Superblock sb;
  private final ClusterBitmap bitmap;
  private final Map<UUID, ReplicaMeta> replicas = new LinkedHashMap<>();
  /** Clusters freed by changes not yet durable: kept out of reuse until {@link #releaseHeld}. */
  private int[] held = new int[64];
  private int heldCount;
  private boolean holdFrees;

  PoolState(Superblock sb) {
    this.sb = sb;
    this.bitmap = new ClusterBitmap(sb.clusterCount());
  }

  /** From now on freed clusters stay in use until {@link #releaseHeld()} (live mode). */
  void holdFrees() {
    holdFrees = true;
  }

  void releaseHeld() {
    for (int i = 0; i < heldCount; i++) {
      bitmap.clear(held[i]);
    }
    heldCount = 0;
  }

  ReplicaMeta replica(UUID uuid) {
    return replicas.get(uuid);
  }

  Collection<ReplicaMeta> replicas() {
    return replicas.values();
  }

  int freeClusters() {
    return bitmap.free();
  }

  int usedClusters() {
    return bitmap.used() - heldCount;
  }

  long committedThin() {
    long sum = 0;
    for (ReplicaMeta r : replicas.values()) {
      if (r.thin) {
        sum += r.size;
      }
    }
    return sum;
  }

  /** Clusters needed to hold {@code size} bytes. */
  long clustersFor(long size) {
    return (size + sb.clusterSize() - 1) >>> sb.clusterShift();
  }

  /** Free clusters for logical clusters {@code [logical, logical + n)}, as runs; null if short. */
  List<Run> pickRuns(int logical, int n) {
    if (n > bitmap.free()) {
      return null;
    }
    List<Run> runs = new ArrayList<>();
    int c = 0;
    int left = n;
    while (left > 0) {
      int start = bitmap.nextFree(c);
      int end = start + 1;
      while (end < bitmap.count() && end - start < left && !bitmap.get(end)) {
        end++;
      }
      runs.add(new Run(logical, start, end - start));
      logical += end - start;
      left -= end - start;
      c = end;
    }
    return runs;
  }

  /** Marks planned clusters used while they are zeroed; they belong to no replica yet. */
  void reserve(List<Run> runs) {
    for (Run r : runs) {
      for (int i = 0; i < r.length(); i++) {
        bitmap.set(r.physical() + i);
      }
    }
  }

  void unreserve(List<Run> runs) {
    for (Run r : runs) {
      for (int i = 0; i < r.length(); i++) {
        bitmap.clear(r.physical() + i);
      }
    }
  }

  /** A free cluster, searching from {@code hint}; -1 when the pool is full. */
  int pickOne(int hint) {
    return bitmap.nextFree(Math.max(0, Math.min(hint, bitmap.count() - 1)));
  }

  List<ReplicaCreated> snapshot() {
    List<ReplicaCreated> out = new ArrayList<>(replicas.size());
    for (ReplicaMeta r : replicas.values()) {
      out.add(r.asCreated());
    }
    return out;
  }

  void apply(MetaEntry e) {
    if (e instanceof ReplicaCreated c) {
      create(c);
    } else if (e instanceof ReplicaDestroyed d) {
      ReplicaMeta r = existing(d.replica());
      freeFrom(r, 0);
      replicas.remove(d.replica());
    } else if (e instanceof ReplicaResized z) {
      resize(existing(z.replica()), z.size(), z.runs());
    } else if (e instanceof ClustersAllocated a) {
      ReplicaMeta r = existing(a.replica());
      if (!r.thin) {
        throw new IllegalStateException("thin allocation in thick replica " + r.uuid);
      }
      map(r, a.runs());
    }
  }

  private void create(ReplicaCreated c) {
    if (replicas.containsKey(c.replica())) {
      throw new IllegalStateException("replica " + c.replica() + " created twice");
    }
    if (replicas.size() >= sb.maxReplicas()) {
      throw new IllegalStateException("more than " + sb.maxReplicas() + " replicas");
    }
    ReplicaMeta r = new ReplicaMeta(c.replica(), c.name(), c.thin(), c.size(),
        checkedClusters(c.replica(), c.size(), c.thin()));
    map(r, c.runs());
    checkThick(r);
    replicas.put(r.uuid, r);
  }

  private void resize(ReplicaMeta r, long size, List<Run> runs) {
    int clusters = checkedClusters(r.uuid, size, r.thin);
    freeFrom(r, clusters);
    r.map = Arrays.copyOf(r.map, clusters);
    r.size = size;
    map(r, runs);
    checkThick(r);
  }

  /**
   * The clusters of a replica of {@code size}, checked before its extent map is allocated: a size
   * read from the disk passed a checksum, not a sanity check, and an extent map the heap cannot
   * hold would take the whole io-engine down rather than refuse this one pool.
   */
  private int checkedClusters(UUID id, long size, boolean thin) {
    if (size <= 0 || size % sb.blockSize() != 0) {
      throw new IllegalStateException("replica " + id + " size " + size);
    }
    long n = clustersFor(size);
    if (n > Replica.MAX_CLUSTERS) {
      throw new IllegalStateException("replica " + id + " has " + n + " clusters");
    }
    if (!thin && n > sb.clusterCount()) {
      throw new IllegalStateException("thick replica " + id + " has " + n
          + " clusters but the pool has " + sb.clusterCount());
    }
    if (!mapFits(n)) {
      throw new IllegalStateException("replica " + id + " of " + n + " clusters needs an extent"
          + " map larger than a quarter of this JVM's heap");
    }
    return (int) n;
  }

  /** Whether the extent map of a replica of {@code clusters} fits a quarter of the heap. */
  static boolean mapFits(long clusters) {
    return clusters * Integer.BYTES <= Runtime.getRuntime().maxMemory() / 4;
  }

  private void checkThick(ReplicaMeta r) {
    if (!r.thin && r.allocated != r.map.length) {
      throw new IllegalStateException("thick replica " + r.uuid + " has " + r.allocated + " of "
          + r.map.length + " clusters");
    }
  }

  private ReplicaMeta existing(UUID id) {
    ReplicaMeta r = replicas.get(id);
    if (r == null) {
      throw new IllegalStateException("no replica " + id);
    }
    return r;
  }

  private void map(ReplicaMeta r, List<Run> runs) {
    for (Run run : runs) {
      if (run.length() < 1 || run.logical() < 0 || run.physical() < 0
          || run.logical() > r.map.length - run.length()
          || run.physical() > bitmap.count() - run.length()) {
        throw new IllegalStateException("run " + run + " outside replica " + r.uuid + " ("
            + r.map.length + " clusters) or the pool (" + bitmap.count() + " clusters)");
      }
      for (int i = 0; i < run.length(); i++) {
        int pc = run.physical() + i;
        if (r.map[run.logical() + i] != 0) {
          throw new IllegalStateException("replica " + r.uuid + " cluster " + (run.logical() + i)
              + " mapped twice");
        }
        if (bitmap.get(pc)) {
          throw new IllegalStateException("physical cluster " + pc + " owned twice (replica "
              + r.uuid + ")");
        }
        bitmap.set(pc);
        r.map[run.logical() + i] = pc + 1;
        r.allocated++;
      }
    }
  }

  private void freeFrom(ReplicaMeta r, int firstLogical) {
    for (int lc = firstLogical; lc < r.map.length; lc++) {
      int p = r.map[lc];
      if (p != 0) {
        r.map[lc] = 0;
        r.allocated--;
        if (holdFrees) {
          if (heldCount == held.length) {
            held = Arrays.copyOf(held, heldCount * 2);
          }
          held[heldCount++] = p - 1;
        } else {
          bitmap.clear(p - 1);
        }
      }
    }
  }
}
