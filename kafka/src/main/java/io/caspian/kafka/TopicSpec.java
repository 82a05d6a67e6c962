package io.caspian.kafka;

import java.time.Duration;

/**
 * A topic as Caspian wants it.
 *
 * @param partitions partitions on creation; an existing topic keeps its count, since adding partitions moves keys
 *     and so would reorder one nexus's events
 * @param replicationFactor replicas of each partition; 1 on a single-node broker
 * @param retention how long records are kept (retention.ms)
 */
public record TopicSpec(String name, int partitions, short replicationFactor, Duration retention) {

  public TopicSpec {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("topic name must not be blank");
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("topic " + name + " needs at least one partition, not " + partitions);
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("topic " + name + " needs replication factor >= 1, not "
          + replicationFactor);
    }
    if (retention == null || retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException("topic " + name + " needs a positive retention, not " + retention);
    }
  }

  public TopicSpec withReplicationFactor(short rf) {
    return new TopicSpec(name, partitions, rf, retention);
  }
}
