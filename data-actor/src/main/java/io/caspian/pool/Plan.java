package io.caspian.pool;

import java.util.List;
import java.util.UUID;

/**
 * Space the metadata writer set aside for a thick create or a resize: the clusters to add and
 * the byte ranges the caller zeroes (and flushes) on its own thread before the change commits, so
 * that zeroing a large replica never holds up the writer, and with it every thin allocation.
 *
 * @param existing for a create that names an existing replica with the same spec: that replica
 */
record Plan(UUID uuid, long size, List<Run> runs, List<Zero> zero, Replica existing) {

  /** The answer to a resize that needed no plan: it is done (or there was nothing to do). */
  static final Plan DONE = new Plan(null, 0, List.of(), List.of(), null);

  /** A byte range of the pool disk. */
  record Zero(long offset, long length) {}
}
