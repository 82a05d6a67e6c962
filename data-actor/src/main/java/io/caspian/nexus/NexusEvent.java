package io.caspian.nexus;

import io.caspian.rebuild.RebuildRecord;

/**
 * What a nexus reports to its listeners. Events are made on state changes and at most once per
 * report interval per erring child, never per I/O.
 */
public sealed interface NexusEvent {

  String nexus();

  /**
   * A child changed state; {@code cause} says why (an error message, a request). {@code from} is
   * null for a child just added.
   */
  record ChildStateChanged(String nexus, String child, ChildState from, ChildState to,
      String cause) implements NexusEvent {}

  /** A child was removed on request, in state {@code last}. */
  record ChildRemoved(String nexus, String child, ChildState last) implements NexusEvent {}

  record NexusStateChanged(String nexus, NexusState from, NexusState to) implements NexusEvent {}

  /** A child's error counts, sent when they change (rate-limited) and when it is faulted. */
  record ErrorCountsReported(String nexus, ErrorCounts counts) implements NexusEvent {}

  record RebuildStarted(String nexus, String child, String source, boolean partial,
      long blocks) implements NexusEvent {}

  record RebuildFinished(String nexus, RebuildRecord record) implements NexusEvent {}
}
