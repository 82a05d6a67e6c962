package io.caspian.pool;

import java.util.List;
import java.util.UUID;

/**
 * One change to the pool metadata, as logged. Applying the entries of the log, in order, to the
 * state of a checkpoint yields the current state; the live pool applies the same entries when it
 * makes the change, so import and normal operation share one code path.
 */
sealed interface MetaEntry {

  UUID replica();

  /** A replica exists; {@code runs} are its clusters (all of them for thick, none for thin). */
  record ReplicaCreated(UUID replica, String name, long size, boolean thin, List<Run> runs)
      implements MetaEntry {}

  /** A replica and all its clusters are gone. */
  record ReplicaDestroyed(UUID replica) implements MetaEntry {}

  /**
   * A replica has a new size: clusters past the new end are freed, {@code runs} are added
   * (thick growth).
   */
  record ReplicaResized(UUID replica, long size, List<Run> runs) implements MetaEntry {}

  /** Thin allocation: {@code runs} are added to the replica's extent map. */
  record ClustersAllocated(UUID replica, List<Run> runs) implements MetaEntry {}
}
