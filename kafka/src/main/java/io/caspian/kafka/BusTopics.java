package io.caspian.kafka;

import java.time.Duration;
import java.util.List;

/** The topics of Caspian's bus; records on the io topics are keyed by nexus uuid. */
public final class BusTopics {

  /** Error-count events of nexus children. */
  public static final String IO_ERRORS = "caspian.io.errors";
  /** Child state changes (faulted, degraded, online, removed) and nexus state changes. */
  public static final String IO_FAULTS = "caspian.io.faults";
  /** Rebuild started, progress checkpoints, finished. */
  public static final String IO_REBUILD = "caspian.io.rebuild";
  /** Every journaled control-plane event, public schema (written by the projections). */
  public static final String EVENTS = "caspian.events";

  /** The io topics, which the control plane consumes. */
  public static final List<String> IO_TOPICS = List.of(IO_ERRORS, IO_FAULTS, IO_REBUILD);

  private static final Duration WEEK = Duration.ofDays(7);

  private BusTopics() {}

  /**
   * Every topic with replication factor {@code rf} (1 on the single-node broker). Error counts are only useful
   * while fresh, so they go after a day; faults and rebuilds stay a week, long enough for a control plane that was
   * down to catch up.
   */
  public static List<TopicSpec> all(short rf) {
    return List.of(
        new TopicSpec(IO_ERRORS, 6, rf, Duration.ofDays(1)),
        new TopicSpec(IO_FAULTS, 6, rf, WEEK),
        new TopicSpec(IO_REBUILD, 6, rf, WEEK),
        new TopicSpec(EVENTS, 6, rf, WEEK));
  }
}
