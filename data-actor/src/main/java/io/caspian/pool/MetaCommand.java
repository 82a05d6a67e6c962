package io.caspian.pool;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/** A request to the metadata writer; each is answered exactly once. */
sealed interface MetaCommand {

  record CreateReplica(UUID uuid, String name, long size, boolean thin,
      CompletableFuture<Replica> result) implements MetaCommand {}

  record DestroyReplica(UUID uuid, CompletableFuture<Void> result) implements MetaCommand {}

  record ResizeReplica(UUID uuid, long size, CompletableFuture<Void> result)
      implements MetaCommand {}

  /** Thin allocation of one logical cluster; answered through {@link Replica#allocationDone}. */
  record Allocate(Replica replica, int logical) implements MetaCommand {}

  /** Answers what is queued, then ends the writer (export, destroy). */
  record Stop(CompletableFuture<Void> result) implements MetaCommand {}
}
