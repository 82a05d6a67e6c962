package io.caspian.pool;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/** A request to the metadata writer; each is answered exactly once. */
sealed interface MetaCommand {

  /** Creates a replica; a thick one with the clusters of its {@code plan}, already zeroed. */
  record CreateReplica(UUID uuid, String name, long size, boolean thin, Plan plan,
      CompletableFuture<Replica> result) implements MetaCommand {}

  /** Sets clusters aside for a thick replica; answered at once, nothing is written. */
  record PlanCreate(UUID uuid, String name, long size, CompletableFuture<Plan> result)
      implements MetaCommand {}

  record DestroyReplica(UUID uuid, CompletableFuture<Void> result) implements MetaCommand {}

  /**
   * Sets clusters aside for a resize that needs zeroing; a resize that needs none is made at
   * once and answered with {@link Plan#DONE}.
   */
  record PlanResize(UUID uuid, long size, CompletableFuture<Plan> result)
      implements MetaCommand {}

  record ResizeReplica(UUID uuid, long size, Plan plan, CompletableFuture<Void> result)
      implements MetaCommand {}

  /** Gives back what a plan set aside (its zeroing failed). */
  record Abandon(Plan plan, CompletableFuture<Void> result) implements MetaCommand {}

  /** Thin allocation of one logical cluster; answered through {@link Replica#allocationDone}. */
  record Allocate(Replica replica, int logical) implements MetaCommand {}

  /** Answers what is queued, then ends the writer (export, destroy). */
  record Stop(CompletableFuture<Void> result) implements MetaCommand {}
}
