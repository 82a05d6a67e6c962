package io.caspian.nexus;

import io.caspian.bdev.BlockDevice;
import io.caspian.rebuild.RebuildJob;
import io.caspian.rebuild.SegmentMap;

/**
 * One child of a nexus. Its fields change only under the nexus's admin lock; I/O threads see a
 * child through a {@link ChildSet}, whose membership (readable / writable / tracking) is what they
 * act on.
 */
final class Child {

  final String uri;
  /** Stable index while the child is a member; bit position in read-retry masks. */
  final int slot;
  /** Segments this child lacks; marked by every write it does not receive. */
  final SegmentMap dirty;
  final ErrorStore errors;
  /** The counts the last periodic publication carried; guarded by the nexus lock. */
  ErrorCounts periodicCounts;

  volatile BlockDevice dev;
  volatile ChildState state;
  RebuildJob job;
  /** A state change (online, add) is waiting for the write quiesce; refuse others meanwhile. */
  boolean joining;
  volatile boolean removed;
  /**
   * Its map was marked whole (a new child, a failed flush): it may differ outside the write-intent
   * log's dirty regions, so the log records it as an incomplete member until it is rebuilt.
   */
  boolean rebuildAll;

  Child(String uri, int slot, BlockDevice dev, SegmentMap dirty, ChildState state) {
    this.uri = uri;
    this.slot = slot;
    this.dev = dev;
    this.dirty = dirty;
    this.state = state;
    this.errors = new ErrorStore(uri);
  }

  /** In sync: may serve reads. */
  boolean readable() {
    return state.isOnline() && dev != null;
  }

  /** Receives every front-end write: in sync, or out of sync and being brought back. */
  boolean writable() {
    return dev != null && (state.isOnline() || (state instanceof ChildState.Degraded d
        && d.reason() == ChildState.DegradedReason.OUT_OF_SYNC));
  }

  @Override
  public String toString() {
    return uri + " (" + state + ")";
  }
}
