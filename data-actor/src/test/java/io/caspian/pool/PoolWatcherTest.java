package io.caspian.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.ErrorInjectionDevice;
import io.caspian.bdev.Injection;
import io.caspian.bdev.IoType;
import io.caspian.bdev.MallocDevice;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A failed metadata write reaches the pool's watcher at once, and the pool says why it refuses. */
class PoolWatcherTest {

  @Test
  void aFailedMetadataWriteIsReportedAtOnce() throws Exception {
    ErrorInjectionDevice disk = new ErrorInjectionDevice(
        new MallocDevice("malloc:///watched", 32 << 20, 512));
    Pool pool = Pool.create(disk, "p", UUID.randomUUID(), 1 << 20, false);
    List<String> heard = new CopyOnWriteArrayList<>();
    pool.watch(new PoolWatcher() {
      @Override
      public void metadataFailed(String reason) {
        heard.add("metadata: " + reason);
      }

      @Override
      public void unreachable(String reason) {
        heard.add("unreachable: " + reason);
      }

      @Override
      public void failed(String reason) {
        heard.add("failed: " + reason);
      }

      @Override
      public void restored() {
        heard.add("restored");
      }
    });
    assertTrue(pool.metadataFailure().isEmpty());
    pool.createReplica(UUID.randomUUID(), "ok", 1 << 20, true);
    pool.verify();
    assertEquals(List.of(), heard);

    disk.inject(Injection.always(IoType.WRITE));
    assertThrows(PoolException.class,
        () -> pool.createReplica(UUID.randomUUID(), "lost", 1 << 20, true));
    // Heard before the failed call returned: the writer tells the watcher, then answers.
    assertEquals(1, heard.size(), heard.toString());
    assertTrue(heard.get(0).startsWith("metadata: "), heard.toString());
    assertTrue(pool.metadataFailure().isPresent());
    disk.clearAll();
    PoolException refused = assertThrows(PoolException.class,
        () -> pool.createReplica(UUID.randomUUID(), "after", 1 << 20, true));
    assertTrue(refused.getMessage().contains("refuses metadata changes"), refused.getMessage());
    assertEquals(1, heard.size(), "told once, not per refused change: " + heard);
    pool.export();
  }
}
