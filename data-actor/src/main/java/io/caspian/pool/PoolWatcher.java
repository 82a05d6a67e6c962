package io.caspian.pool;

import io.caspian.bdev.DeviceWatcher;

/**
 * Hears of a pool's health the moment it changes: its disk's reachability (from the device) and
 * failed metadata writes (from the metadata writer). Called on the device's and the writer's
 * threads; an implementation only forwards the news.
 */
public interface PoolWatcher extends DeviceWatcher {

  /** A metadata write failed: the pool refuses metadata changes until it is imported again. */
  void metadataFailed(String reason);
}
