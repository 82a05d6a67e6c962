package io.caspian.datanode.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.IoType;
import io.caspian.datanode.bus.BusReader.Read;
import io.caspian.events.proto.ChildState;
import io.caspian.events.proto.Health;
import io.caspian.events.proto.bus.BusEvent;
import io.caspian.events.proto.bus.ChildReason;
import io.caspian.events.proto.bus.IoOp;
import io.caspian.events.proto.bus.RebuildOutcome;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import io.caspian.kafka.TopicAdmin;
import io.caspian.nexus.ErrorCounts;
import io.caspian.nexus.Nexus;
import io.caspian.nexus.NexusEvent;
import io.caspian.nexus.NexusOptions;
import io.caspian.nexus.NexusState;
import io.caspian.rebuild.RebuildRecord;
import io.caspian.rebuild.RebuildState;
import io.caspian.rebuild.RebuildStats;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BusPublisherTest {

  private static final Duration T = Duration.ofSeconds(60);

  @TempDir
  static Path dir;
  static KafkaBroker broker;

  @BeforeAll
  static void start() {
    broker = KafkaBroker.start(dir.resolve("kafka"));
    try (TopicAdmin admin = new TopicAdmin(broker.bootstrapServers())) {
      admin.ensure(BusTopics.all((short) 1), T);
    }
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void everyEventTypeArrivesKeyedByNexusWithItsFields() throws Exception {
    String nx = "rt-nexus";
    try (BusPublisher pub = new BusPublisher(BusPublisher.Options.of(broker.bootstrapServers(), "node-a"));
        BusReader reader = new BusReader(broker.bootstrapServers())) {
      var faulted = io.caspian.nexus.ChildState.faulted(io.caspian.nexus.ChildState.FaultReason.IO_ERROR);
      pub.onEvent(new NexusEvent.ErrorCountsReported(nx, new ErrorCounts("c1",
          Map.of(IoType.WRITE, 3, IoType.READ, 1), 4, 64, 10_000, 9)));
      pub.onEvent(new NexusEvent.ChildStateChanged(nx, "c1", io.caspian.nexus.ChildState.ONLINE, faulted, "EIO"));
      pub.onEvent(new NexusEvent.NexusStateChanged(nx, NexusState.ONLINE, NexusState.DEGRADED));
      pub.onEvent(new NexusEvent.RebuildStarted(nx, "c2", "c3", true, 1024));
      pub.progress(nx, "c2", new RebuildStats(1024, 512, 512, 50, 3, Instant.now(), 1 << 20));
      pub.onEvent(new NexusEvent.RebuildFinished(nx, new RebuildRecord("c2", "c3", true, RebuildState.FAILED,
          new RebuildStats(1024, 700, 324, 68, 0, Instant.now(), 1 << 20), "source gone",
          Instant.ofEpochMilli(1234))));
      pub.onEvent(new NexusEvent.ChildRemoved(nx, "c1", faulted));

      List<Read> all = reader.until(r -> ours(r, pub).size() >= 7, T);
      List<Read> got = ours(all, pub);
      assertEquals(7, got.size(), "records: " + got);
      for (Read r : got) {
        assertEquals(nx, r.key());
        assertEquals(nx, r.event().getNexus());
        assertEquals("node-a", r.event().getNode());
        assertTrue(r.event().getTimeMillis() > 0);
      }
      Map<BusEvent.EventCase, Read> byCase = got.stream()
          .collect(Collectors.toMap(r -> r.event().getEventCase(), r -> r));

      Read counts = byCase.get(BusEvent.EventCase.ERROR_COUNTS);
      assertEquals(BusTopics.IO_ERRORS, counts.topic());
      assertEquals(4, counts.event().getErrorCounts().getCounted());
      assertEquals(64, counts.event().getErrorCounts().getThreshold());
      assertEquals(9, counts.event().getErrorCounts().getTotal());
      Map<IoOp, Integer> ops = new HashMap<>();
      counts.event().getErrorCounts().getInWindowList().forEach(o -> ops.put(o.getOp(), o.getCount()));
      assertEquals(Map.of(IoOp.IO_WRITE, 3, IoOp.IO_READ, 1), ops);

      Read child = byCase.get(BusEvent.EventCase.CHILD_STATE_CHANGED);
      assertEquals(BusTopics.IO_FAULTS, child.topic());
      assertEquals(ChildState.CHILD_ONLINE, child.event().getChildStateChanged().getFrom().getState());
      assertEquals(ChildState.CHILD_FAULTED, child.event().getChildStateChanged().getTo().getState());
      assertEquals(ChildReason.FAULTED_IO_ERROR, child.event().getChildStateChanged().getTo().getReason());
      assertEquals("EIO", child.event().getChildStateChanged().getCause());

      Read nexus = byCase.get(BusEvent.EventCase.NEXUS_STATE_CHANGED);
      assertEquals(BusTopics.IO_FAULTS, nexus.topic());
      assertEquals(Health.HEALTH_DEGRADED, nexus.event().getNexusStateChanged().getTo());

      Read removed = byCase.get(BusEvent.EventCase.CHILD_REMOVED);
      assertEquals(BusTopics.IO_FAULTS, removed.topic());
      assertEquals(ChildReason.FAULTED_IO_ERROR, removed.event().getChildRemoved().getLast().getReason());

      Read started = byCase.get(BusEvent.EventCase.REBUILD_STARTED);
      assertEquals(BusTopics.IO_REBUILD, started.topic());
      assertEquals(1024, started.event().getRebuildStarted().getBlocks());
      assertTrue(started.event().getRebuildStarted().getPartial());

      Read progress = byCase.get(BusEvent.EventCase.REBUILD_PROGRESS);
      assertEquals(BusTopics.IO_REBUILD, progress.topic());
      assertEquals(50, progress.event().getRebuildProgress().getPercent());

      Read finished = byCase.get(BusEvent.EventCase.REBUILD_FINISHED);
      assertEquals(RebuildOutcome.REBUILD_FAILED, finished.event().getRebuildFinished().getOutcome());
      assertEquals("source gone", finished.event().getRebuildFinished().getCause());
      assertEquals(700, finished.event().getRebuildFinished().getBlocksRecovered());
      assertEquals(1234, finished.event().getRebuildFinished().getEndTimeMillis());

      // Sequence numbers count from 1 per (topic, nexus), in publishing order.
      Map<String, List<Long>> seqs = got.stream().collect(Collectors.groupingBy(Read::topic,
          Collectors.mapping(r -> r.event().getSeq(), Collectors.toList())));
      assertEquals(List.of(1L), seqs.get(BusTopics.IO_ERRORS));
      assertEquals(List.of(1L, 2L, 3L), seqs.get(BusTopics.IO_FAULTS));
      assertEquals(List.of(1L, 2L, 3L), seqs.get(BusTopics.IO_REBUILD));
    }
  }

  @Test
  void aRealNexusFaultAndRebuildArePublished() throws Exception {
    DeviceOpener opener = DeviceOpener.standard();
    List<String> kids = List.of("malloc:///bus-a?size_mb=4", "malloc:///bus-b?size_mb=4");
    try (BusPublisher pub = new BusPublisher(BusPublisher.Options.of(broker.bootstrapServers(), "node-b"));
        BusReader reader = new BusReader(broker.bootstrapServers());
        Nexus nexus = Nexus.create("real-nexus", 4 << 20, kids, opener, NexusOptions.defaults())) {
      pub.attach(nexus);
      nexus.faultChild(kids.get(1));
      nexus.onlineChild(kids.get(1)).get(30, TimeUnit.SECONDS);
      List<Read> got = ours(reader.until(r -> hasCase(ours(r, pub), BusEvent.EventCase.REBUILD_FINISHED)
          && nexusBack(ours(r, pub)), T), pub);
      Set<BusEvent.EventCase> cases = new HashSet<>();
      got.forEach(r -> cases.add(r.event().getEventCase()));
      assertTrue(cases.containsAll(Set.of(BusEvent.EventCase.CHILD_STATE_CHANGED,
          BusEvent.EventCase.NEXUS_STATE_CHANGED, BusEvent.EventCase.REBUILD_STARTED,
          BusEvent.EventCase.REBUILD_FINISHED)), "got " + got);
      Read faulted = got.stream().filter(r -> r.event().hasChildStateChanged()
          && r.event().getChildStateChanged().getTo().getState() == ChildState.CHILD_FAULTED).findFirst().get();
      assertEquals(ChildReason.FAULTED_BY_CLIENT, faulted.event().getChildStateChanged().getTo().getReason());
      assertEquals(kids.get(1), faulted.event().getChildStateChanged().getChild());
      Read done = got.stream().filter(r -> r.event().hasRebuildFinished()).findFirst().get();
      assertEquals(RebuildOutcome.REBUILD_COMPLETED, done.event().getRebuildFinished().getOutcome());
      pub.detach(nexus);
    }
  }

  @Test
  void whileKafkaIsDownCallsReturnAtOnceFaultsAreKeptAndErrorCountsCoalesce() throws Exception {
    String nx = "outage-nexus";
    BusPublisher.Options o = BusPublisher.Options.of(broker.bootstrapServers(), "node-c")
        .withErrorCapacity(4).withMaxInFlight(8);
    try (BusPublisher pub = new BusPublisher(o)) {
      // Connected first, so that the producer knows the partitions and takes records while the broker is away.
      pub.onEvent(new NexusEvent.NexusStateChanged(nx, NexusState.ONLINE, NexusState.DEGRADED));
      long deadline = System.nanoTime() + T.toNanos();
      while (pub.stats().delivered() < 1 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(1, pub.stats().delivered());
      broker.stop();
      long worst = 0;
      int faults = 300;
      for (int i = 0; i < faults; i++) {
        for (int c = 0; c < 10; c++) {
          long t0 = System.nanoTime();
          pub.onEvent(new NexusEvent.ErrorCountsReported(nx, new ErrorCounts("c" + c,
              Map.of(IoType.WRITE, i), i, 64, 10_000, i)));
          worst = Math.max(worst, System.nanoTime() - t0);
        }
        long t0 = System.nanoTime();
        pub.onEvent(new NexusEvent.ChildStateChanged(nx, "child-" + i, io.caspian.nexus.ChildState.ONLINE,
            io.caspian.nexus.ChildState.faulted(io.caspian.nexus.ChildState.FaultReason.IO_ERROR), "EIO " + i));
        worst = Math.max(worst, System.nanoTime() - t0);
      }
      PublisherStats during = pub.stats();
      // Not a performance figure: a call that waited for the absent broker would take its 2 s metadata timeout.
      assertTrue(worst < TimeUnit.MILLISECONDS.toNanos(500), "slowest onEvent took " + worst / 1_000_000 + " ms");
      assertTrue(during.coalesced() + during.dropped() > 0, "error counts neither coalesced nor dropped: " + during);
      assertTrue(during.orderedQueued() + during.inFlight() >= faults - 8, "faults not held: " + during);

      broker.restart();
      try (BusReader reader = new BusReader(broker.bootstrapServers())) {
        List<Read> got = ours(reader.until(r -> faultsOf(ours(r, pub)).size() >= faults, T), pub);
        List<String> children = faultsOf(got);
        assertEquals(faults, new HashSet<>(children).size(), "fault events lost: " + pub.stats());
        for (int i = 0; i < faults; i++) {
          assertEquals("child-" + i, children.get(i), "fault events out of order");
        }
        long counts = got.stream().filter(r -> r.event().hasErrorCounts()).count();
        assertTrue(counts < faults * 10L, "every error count was sent: " + counts);
        // The newest count of a child that was still queued at the end is the one delivered.
        assertTrue(reader.until(r -> ours(r, pub).stream().anyMatch(x -> x.event().hasErrorCounts()
            && x.event().getErrorCounts().getCounted() == faults - 1), T).size() > 0);
      }
    } finally {
      if (!broker.isRunning()) {
        broker.restart();
      }
    }
  }

  private static List<Read> ours(List<Read> all, BusPublisher pub) {
    return all.stream().filter(r -> r.event().getSource().equals(pub.source())).toList();
  }

  private static boolean hasCase(List<Read> rs, BusEvent.EventCase c) {
    return rs.stream().anyMatch(r -> r.event().getEventCase() == c);
  }

  private static boolean nexusBack(List<Read> rs) {
    return rs.stream().anyMatch(r -> r.event().hasNexusStateChanged()
        && r.event().getNexusStateChanged().getTo() == Health.HEALTH_ONLINE);
  }

  private static List<String> faultsOf(List<Read> rs) {
    return rs.stream().filter(r -> r.event().hasChildStateChanged())
        .map(r -> r.event().getChildStateChanged().getChild()).toList();
  }
}
