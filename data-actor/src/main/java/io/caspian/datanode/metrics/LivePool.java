package io.caspian.datanode.metrics;

import io.caspian.events.Health;
import io.caspian.pool.Pool;

/**
 * One pool of a node as a scrape sees it: the open pool (null while it is not imported) and the
 * health its actor last decided. The actor writes, a scrape reads, both without a lock.
 */
public final class LivePool {

  private final String name;
  private volatile Pool pool;
  private volatile Health health = Health.UNKNOWN;

  public LivePool(String name) {
    this.name = name;
  }

  public String name() {
    return name;
  }

  /** Called by the pool's actor whenever either changes. */
  public void set(Pool p, Health h) {
    pool = p;
    health = h;
  }

  Pool pool() {
    return pool;
  }

  Health health() {
    return health;
  }
}
