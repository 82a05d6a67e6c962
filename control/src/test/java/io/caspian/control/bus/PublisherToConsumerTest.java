package io.caspian.control.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.DeviceOpener;
import io.caspian.datanode.bus.BusPublisher;
import io.caspian.events.proto.ChildState;
import io.caspian.events.proto.Health;
import io.caspian.events.proto.bus.BusEvent;
import io.caspian.events.proto.bus.ChildReason;
import io.caspian.events.proto.bus.RebuildOutcome;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import io.caspian.kafka.TopicAdmin;
import io.caspian.nexus.Nexus;
import io.caspian.nexus.NexusOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real nexus's events, through the io-engine's publisher and a real broker, to the control plane's consumer. */
class PublisherToConsumerTest {

  private static final Duration T = Duration.ofSeconds(60);

  @Test
  void aNexusFaultAndRebuildReachTheSinkOnceEachInOrder(@TempDir Path dir) throws Exception {
    List<String> kids = List.of("malloc:///e2e-a?size_mb=4", "malloc:///e2e-b?size_mb=4");
    MemorySink.Store store = new MemorySink.Store();
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"))) {
      try (TopicAdmin admin = new TopicAdmin(broker.bootstrapServers())) {
        admin.ensure(BusTopics.all((short) 1), T);
      }
      try (BusConsumer consumer = BusConsumer.start(BusConsumer.Options.of(broker.bootstrapServers()),
              new MemorySink(store, 0, e -> false));
          BusPublisher pub = new BusPublisher(BusPublisher.Options.of(broker.bootstrapServers(), "node-1"));
          Nexus nexus = Nexus.create("e2e-nexus", 4 << 20, kids, DeviceOpener.standard(),
              NexusOptions.defaults())) {
        pub.attach(nexus);
        nexus.publishErrorCounts();
        nexus.faultChild(kids.get(1));
        nexus.onlineChild(kids.get(1)).get(30, TimeUnit.SECONDS);
        nexus.removeChild(kids.get(1));

        Set<BusEvent.EventCase> wanted = EnumSet.of(BusEvent.EventCase.ERROR_COUNTS,
            BusEvent.EventCase.CHILD_STATE_CHANGED, BusEvent.EventCase.NEXUS_STATE_CHANGED,
            BusEvent.EventCase.REBUILD_STARTED, BusEvent.EventCase.REBUILD_FINISHED,
            BusEvent.EventCase.CHILD_REMOVED);
        await(() -> store.applied().stream().map(BusEvent::getEventCase).collect(Collectors.toSet())
            .containsAll(wanted) && pub.stats().queued() == 0 && pub.stats().inFlight() == 0
            && store.applied().size() == pub.stats().delivered(),
            () -> pub.stats() + " " + consumer.stats() + " applied " + store.applied().stream()
                .map(BusEvent::getEventCase).toList());
        assertEquals(0, consumer.stats().failures());
      }
    }
    List<BusEvent> applied = store.applied();
    // Per stream (source, topic, nexus) the sink saw 1, 2, 3, ...: nothing lost, nothing twice, in order.
    Map<BusEvent.EventCase, String> topicOf = Map.of(BusEvent.EventCase.ERROR_COUNTS, BusTopics.IO_ERRORS,
        BusEvent.EventCase.REBUILD_STARTED, BusTopics.IO_REBUILD, BusEvent.EventCase.REBUILD_FINISHED,
        BusTopics.IO_REBUILD, BusEvent.EventCase.REBUILD_PROGRESS, BusTopics.IO_REBUILD);
    Map<String, List<Long>> seqs = applied.stream().collect(Collectors.groupingBy(
        e -> topicOf.getOrDefault(e.getEventCase(), BusTopics.IO_FAULTS),
        Collectors.mapping(BusEvent::getSeq, Collectors.toList())));
    for (List<Long> s : seqs.values()) {
      List<Long> expected = new ArrayList<>();
      for (long i = 1; i <= s.size(); i++) {
        expected.add(i);
      }
      assertEquals(expected, s);
    }
    BusEvent faulted = applied.stream().filter(e -> e.hasChildStateChanged()
        && e.getChildStateChanged().getTo().getState() == ChildState.CHILD_FAULTED).findFirst().orElseThrow();
    assertEquals(kids.get(1), faulted.getChildStateChanged().getChild());
    assertEquals(ChildReason.FAULTED_BY_CLIENT, faulted.getChildStateChanged().getTo().getReason());
    assertTrue(applied.stream().anyMatch(e -> e.hasNexusStateChanged()
        && e.getNexusStateChanged().getTo() == Health.HEALTH_DEGRADED));
    assertEquals(RebuildOutcome.REBUILD_COMPLETED, applied.stream().filter(BusEvent::hasRebuildFinished)
        .findFirst().orElseThrow().getRebuildFinished().getOutcome());
    assertEquals(kids.get(1), applied.stream().filter(BusEvent::hasChildRemoved).findFirst().orElseThrow()
        .getChildRemoved().getChild());
    assertTrue(applied.stream().allMatch(e -> e.getNexus().equals("e2e-nexus") && e.getNode().equals("node-1")));
  }

  private static void await(BooleanSupplier done, Supplier<String> state) throws InterruptedException {
    long deadline = System.nanoTime() + T.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + T + ": " + state.get());
      }
      Thread.sleep(50);
    }
  }
}
