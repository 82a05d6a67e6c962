package io.caspian.datanode.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.caspian.events.proto.bus.BusEvent;
import io.caspian.events.proto.bus.ChildStateChanged;
import io.caspian.events.proto.bus.ErrorCounts;
import io.caspian.events.proto.bus.RebuildProgress;
import io.caspian.kafka.BusTopics;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EventBufferTest {

  @Test
  void errorCountsCoalescePerChildAndTheOldestGoFirstWhenFull() throws Exception {
    EventBuffer b = new EventBuffer(2);
    b.offer(counts("c1", 1));
    b.offer(counts("c1", 2)); // replaces c1's queued count
    b.offer(counts("c2", 1));
    b.offer(counts("c3", 1)); // buffer full: c1, the oldest, goes
    assertEquals(1, b.coalesced());
    assertEquals(1, b.dropped());
    List<BusEvent.Builder> out = drain(b);
    assertEquals(List.of("c2", "c3"), out.stream().map(e -> e.getErrorCounts().getChild()).toList());
  }

  @Test
  void faultEventsAreNeverDroppedAndKeepTheirOrder() throws Exception {
    EventBuffer b = new EventBuffer(1);
    for (int i = 0; i < 10_000; i++) {
      b.offer(fault("c" + i));
      b.offer(counts("c" + i, i));
    }
    assertEquals(10_000, b.orderedSize());
    List<String> faults = new ArrayList<>();
    for (BusEvent.Builder e : drain(b)) {
      if (e.hasChildStateChanged()) {
        faults.add(e.getChildStateChanged().getChild());
      }
    }
    assertEquals(10_000, faults.size());
    for (int i = 0; i < faults.size(); i++) {
      assertEquals("c" + i, faults.get(i));
    }
  }

  @Test
  void aQueuedProgressCheckpointIsReplacedByANewerOneInPlace() throws Exception {
    EventBuffer b = new EventBuffer(4);
    b.offer(progress("c1", 10));
    b.offer(fault("c2"));
    b.offer(progress("c1", 50));
    List<BusEvent.Builder> out = drain(b);
    assertEquals(2, out.size());
    assertEquals(50, out.get(0).getRebuildProgress().getPercent());
    assertEquals("c2", out.get(1).getChildStateChanged().getChild());
    b.offer(progress("c1", 90)); // after the earlier one was taken, a new checkpoint queues anew
    assertEquals(90, drain(b).get(0).getRebuildProgress().getPercent());
  }

  private static List<BusEvent.Builder> drain(EventBuffer b) throws InterruptedException {
    List<BusEvent.Builder> out = new ArrayList<>();
    for (Outgoing o; (o = b.poll(10, TimeUnit.MILLISECONDS)) != null; ) {
      out.add(o.event);
    }
    assertNull(b.poll(1, TimeUnit.MILLISECONDS));
    return out;
  }

  private static Outgoing counts(String child, int n) {
    return new Outgoing(BusTopics.IO_ERRORS, "n", "n\n" + child, BusEvent.newBuilder().setNexus("n")
        .setErrorCounts(ErrorCounts.newBuilder().setChild(child).setCounted(n)));
  }

  private static Outgoing fault(String child) {
    return new Outgoing(BusTopics.IO_FAULTS, "n", null, BusEvent.newBuilder().setNexus("n")
        .setChildStateChanged(ChildStateChanged.newBuilder().setChild(child)));
  }

  private static Outgoing progress(String child, int percent) {
    return new Outgoing(BusTopics.IO_REBUILD, "n", "n\n" + child, BusEvent.newBuilder().setNexus("n")
        .setRebuildProgress(RebuildProgress.newBuilder().setChild(child).setPercent(percent)));
  }
}
