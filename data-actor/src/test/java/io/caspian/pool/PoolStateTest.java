package io.caspian.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.pool.MetaEntry.ReplicaCreated;
import io.caspian.pool.MetaEntry.ReplicaResized;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Replaying metadata whose sizes passed a checksum but not a sanity check (found by PoolImportFuzzTest). */
class PoolStateTest {

  private static Superblock superblock() throws PoolException {
    return Superblock.layout("malloc:///state", UUID.randomUUID(), "state", Superblock.MIN_CLUSTER,
        512, 2 << 20, 4);
  }

  /** The fuzzer's crash: a replayed size whose extent map ran the JVM out of heap. */
  @Test
  void aReplicaWhoseExtentMapTheHeapCannotHoldIsRefused() throws PoolException {
    Superblock sb = superblock();
    PoolState state = new PoolState(sb);
    long huge = (long) Replica.MAX_CLUSTERS * sb.clusterSize();
    IllegalStateException created = assertThrows(IllegalStateException.class, () -> state.apply(
        new ReplicaCreated(new UUID(1, 1), "huge", huge, true, List.of())));
    assertTrue(created.getMessage().contains("extent map"), created.getMessage());

    UUID small = new UUID(2, 2);
    state.apply(new ReplicaCreated(small, "small", sb.clusterSize(), true, List.of()));
    assertThrows(IllegalStateException.class, () -> state.apply(
        new ReplicaResized(small, huge, List.of())));
    assertEquals(1, state.snapshot().size());
  }

  @Test
  void aThickReplicaLargerThanThePoolIsRefused() throws PoolException {
    Superblock sb = superblock();
    long size = (sb.clusterCount() + 1L) * sb.clusterSize();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> new PoolState(sb)
        .apply(new ReplicaCreated(new UUID(3, 3), "thick", size, false, List.of())));
    assertTrue(e.getMessage().contains("thick replica"), e.getMessage());
  }
}
