package io.caspian.datanode.bus;

import io.caspian.bdev.IoType;
import io.caspian.events.Enums;
import io.caspian.events.proto.Health;
import io.caspian.events.proto.bus.BusEvent;
import io.caspian.events.proto.bus.ChildCondition;
import io.caspian.events.proto.bus.ChildReason;
import io.caspian.events.proto.bus.ChildRemoved;
import io.caspian.events.proto.bus.ChildStateChanged;
import io.caspian.events.proto.bus.ErrorCounts;
import io.caspian.events.proto.bus.IoOp;
import io.caspian.events.proto.bus.NexusStateChanged;
import io.caspian.events.proto.bus.OpErrors;
import io.caspian.events.proto.bus.PoolStateChanged;
import io.caspian.events.proto.bus.RebuildFinished;
import io.caspian.events.proto.bus.RebuildOutcome;
import io.caspian.events.proto.bus.RebuildProgress;
import io.caspian.events.proto.bus.RebuildStarted;
import io.caspian.kafka.BusTopics;
import io.caspian.nexus.ChildState;
import io.caspian.nexus.NexusEvent;
import io.caspian.nexus.NexusState;
import io.caspian.rebuild.RebuildRecord;
import io.caspian.rebuild.RebuildStats;
import java.util.Map;

/** Turns nexus events into bus records: which topic, and the message without source and sequence number. */
final class EventMapper {

  private EventMapper() {}

  static String topicOf(NexusEvent e) {
    if (e instanceof NexusEvent.ErrorCountsReported) {
      return BusTopics.IO_ERRORS;
    }
    if (e instanceof NexusEvent.RebuildStarted || e instanceof NexusEvent.RebuildFinished) {
      return BusTopics.IO_REBUILD;
    }
    return BusTopics.IO_FAULTS; // child and nexus state changes
  }

  static BusEvent.Builder toProto(NexusEvent e) {
    BusEvent.Builder b = BusEvent.newBuilder().setNexus(e.nexus());
    if (e instanceof NexusEvent.ErrorCountsReported x) {
      b.setErrorCounts(errorCounts(x.counts()));
    } else if (e instanceof NexusEvent.ChildStateChanged x) {
      b.setChildStateChanged(ChildStateChanged.newBuilder().setChild(x.child()).setFrom(condition(x.from()))
          .setTo(condition(x.to())).setCause(x.cause() == null ? "" : x.cause()));
    } else if (e instanceof NexusEvent.ChildRemoved x) {
      b.setChildRemoved(ChildRemoved.newBuilder().setChild(x.child()).setLast(condition(x.last())));
    } else if (e instanceof NexusEvent.NexusStateChanged x) {
      b.setNexusStateChanged(NexusStateChanged.newBuilder().setFrom(health(x.from())).setTo(health(x.to())));
    } else if (e instanceof NexusEvent.RebuildStarted x) {
      b.setRebuildStarted(RebuildStarted.newBuilder().setChild(x.child()).setSource(x.source())
          .setPartial(x.partial()).setBlocks(x.blocks()));
    } else if (e instanceof NexusEvent.RebuildFinished x) {
      b.setRebuildFinished(finished(x.record()));
    } else {
      throw new IllegalArgumentException("no bus record for nexus event " + e);
    }
    return b;
  }

  static BusEvent.Builder poolStateChanged(String key, String pool, String uuid, String disk,
      io.caspian.events.Health from, io.caspian.events.Health to, String reason) {
    return BusEvent.newBuilder().setNexus(key).setPoolStateChanged(PoolStateChanged.newBuilder()
        .setPool(pool).setUuid(uuid).setDisk(disk).setFrom(Enums.toProto(from))
        .setTo(Enums.toProto(to)).setReason(reason == null ? "" : reason));
  }

  static BusEvent.Builder progress(String nexus, String child, RebuildStats s) {
    return BusEvent.newBuilder().setNexus(nexus).setRebuildProgress(RebuildProgress.newBuilder()
        .setChild(child).setBlocksTotal(s.blocksTotal()).setBlocksRecovered(s.blocksRecovered())
        .setPercent(s.percent()).setBytesPerSecond(s.bytesPerSecond()));
  }

  static ChildCondition condition(ChildState s) {
    ChildCondition.Builder b = ChildCondition.newBuilder();
    if (s == null) {
      b.setState(io.caspian.events.proto.ChildState.CHILD_UNKNOWN);
    } else if (s instanceof ChildState.Degraded d) {
      b.setState(io.caspian.events.proto.ChildState.CHILD_DEGRADED)
          .setReason(ChildReason.valueOf("DEGRADED_" + d.reason().name()));
    } else if (s instanceof ChildState.Faulted f) {
      b.setState(io.caspian.events.proto.ChildState.CHILD_FAULTED)
          .setReason(ChildReason.valueOf("FAULTED_" + f.reason().name()));
    } else {
      b.setState(io.caspian.events.proto.ChildState.CHILD_ONLINE);
    }
    return b.build();
  }

  private static ErrorCounts errorCounts(io.caspian.nexus.ErrorCounts c) {
    ErrorCounts.Builder b = ErrorCounts.newBuilder().setChild(c.child()).setCounted(c.counted())
        .setThreshold(c.threshold()).setWindowMillis(c.windowMillis()).setTotal(c.total());
    for (Map.Entry<IoType, Integer> en : c.inWindow().entrySet()) {
      b.addInWindow(OpErrors.newBuilder().setOp(IoOp.valueOf("IO_" + en.getKey().name())).setCount(en.getValue()));
    }
    return b.build();
  }

  private static Health health(NexusState s) {
    return switch (s) {
      case ONLINE -> Health.HEALTH_ONLINE;
      case DEGRADED -> Health.HEALTH_DEGRADED;
      case FAULTED -> Health.HEALTH_FAULTED;
    };
  }

  private static RebuildFinished finished(RebuildRecord r) {
    RebuildOutcome outcome = switch (r.state()) {
      case COMPLETED -> RebuildOutcome.REBUILD_COMPLETED;
      case FAILED -> RebuildOutcome.REBUILD_FAILED;
      case STOPPED -> RebuildOutcome.REBUILD_STOPPED;
      default -> RebuildOutcome.REBUILD_OUTCOME_UNKNOWN;
    };
    RebuildFinished.Builder b = RebuildFinished.newBuilder().setChild(r.destination())
        .setSource(r.source() == null ? "" : r.source()).setPartial(r.partial()).setOutcome(outcome)
        .setCause(r.cause() == null ? "" : r.cause());
    if (r.stats() != null) {
      b.setBlocksTotal(r.stats().blocksTotal()).setBlocksRecovered(r.stats().blocksRecovered());
    }
    if (r.endTime() != null) {
      b.setEndTimeMillis(r.endTime().toEpochMilli());
    }
    return b.build();
  }
}
