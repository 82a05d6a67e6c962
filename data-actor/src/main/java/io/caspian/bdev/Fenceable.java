package io.caspian.bdev;

import java.util.concurrent.CompletableFuture;

/**
 * A device that can shut out every writer but one: a remote replica reached over NVMe/TCP,
 * whose target keeps a write-exclusive reservation. A nexus fences its remote children with its
 * generation when it opens them, so that a nexus it superseded can no longer write to them (see
 * docs/adr/nexus-fencing.md). Local devices have nobody else to shut out and do not implement it.
 */
public interface Fenceable {

  /**
   * Makes this host the only writer for {@code generation}: registers the key {@code
   * generation} and takes a write-exclusive reservation, preempting a holder whose key is lower.
   * Fails with {@link BdevException.Kind#RESERVATION_CONFLICT} when a holder with an equal or
   * greater key (a nexus as new or newer) has it.
   *
   * @param generation the nexus incarnation's generation, greater than 0
   */
  CompletableFuture<Void> fence(long generation);
}
