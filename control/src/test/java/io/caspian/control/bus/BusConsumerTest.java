package io.caspian.control.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.events.proto.Health;
import io.caspian.events.proto.bus.BusEvent;
import io.caspian.events.proto.bus.ChildStateChanged;
import io.caspian.events.proto.bus.ErrorCounts;
import io.caspian.events.proto.bus.NexusStateChanged;
import io.caspian.events.proto.bus.RebuildStarted;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import io.caspian.kafka.TopicAdmin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BusConsumerTest {

  private static final Duration T = Duration.ofSeconds(60);

  @TempDir
  static Path dir;
  static KafkaBroker broker;
  static Admin admin;

  @BeforeAll
  static void start() {
    broker = KafkaBroker.start(dir.resolve("kafka"));
    try (TopicAdmin topics = new TopicAdmin(broker.bootstrapServers())) {
      topics.ensure(BusTopics.all((short) 1), T);
    }
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    admin = Admin.create(p);
  }

  @AfterAll
  static void stop() {
    if (admin != null) {
      admin.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  // Each test has its own consumer group, which reads the topics' whole history: the tests look at their own
  // nexuses' events only.

  @Test
  void everyEventReachesTheSinkOnceAndOffsetsAreCommittedAfter() throws Exception {
    String group = "g-roundtrip";
    List<String> nexuses = List.of("nx-a", "nx-b", "nx-c");
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (String nx : nexuses) {
      records.add(record(BusTopics.IO_ERRORS, event("src-1", 1, nx).setErrorCounts(
          ErrorCounts.newBuilder().setChild("c1").setCounted(5).setThreshold(64))));
      records.add(record(BusTopics.IO_FAULTS, event("src-1", 1, nx).setChildStateChanged(
          ChildStateChanged.newBuilder().setChild("c1"))));
      records.add(record(BusTopics.IO_FAULTS, event("src-1", 2, nx).setNexusStateChanged(
          NexusStateChanged.newBuilder().setTo(Health.HEALTH_DEGRADED))));
      records.add(record(BusTopics.IO_REBUILD, event("src-1", 1, nx).setRebuildStarted(
          RebuildStarted.newBuilder().setChild("c2"))));
    }
    // A record the publisher sent twice (a resend after an ambiguous failure) is applied once.
    records.add(records.get(1));
    produce(records);

    MemorySink.Store store = new MemorySink.Store();
    try (BusConsumer c = BusConsumer.start(BusConsumer.Options.of(broker.bootstrapServers()).withGroupId(group),
        new MemorySink(store, 0, e -> false))) {
      await(() -> allCommitted(group));
      assertTrue(c.stats().duplicates() >= 1);
      assertEquals(0, c.stats().failures());
    }
    List<BusEvent> applied = new ArrayList<>();
    nexuses.forEach(nx -> applied.addAll(of(store, nx)));
    assertEquals(12, applied.size());
    assertEquals(12, new HashSet<>(applied).size());
    for (String nx : nexuses) {
      List<BusEvent.EventCase> cases = of(store, nx).stream().map(BusEvent::getEventCase).toList();
      assertTrue(cases.containsAll(List.of(BusEvent.EventCase.ERROR_COUNTS, BusEvent.EventCase.CHILD_STATE_CHANGED,
          BusEvent.EventCase.NEXUS_STATE_CHANGED, BusEvent.EventCase.REBUILD_STARTED)), nx + ": " + cases);
    }
  }

  @Test
  void aConsumerThatDiesAfterTheSinkPersistedButBeforeCommittingIsReplacedWithoutDoubles() throws Exception {
    String group = "g-crash";
    String nx = "nx-crash";
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      records.add(record(BusTopics.IO_FAULTS, event("src-2", i, nx).setChildStateChanged(
          ChildStateChanged.newBuilder().setChild("child-" + i))));
    }
    RecordMetadata firstOfOurs = produce(records).get(0);

    MemorySink.Store store = new MemorySink.Store();
    // The first consumer stores events 1..10 and then hangs without answering: none of them is committed.
    BusConsumer first = BusConsumer.start(BusConsumer.Options.of(broker.bootstrapServers()).withGroupId(group),
        new MemorySink(store, 0, e -> e.getNexus().equals(nx) && e.getSeq() == 10));
    await(() -> of(store, nx).size() == 10);
    Thread.sleep(300);
    assertEquals(10, of(store, nx).size());
    first.close();
    assertTrue(committedAt(group, firstOfOurs) <= firstOfOurs.offset(), "committed before the sink answered");

    try (BusConsumer second = BusConsumer.start(
        BusConsumer.Options.of(broker.bootstrapServers()).withGroupId(group), new MemorySink(store, 0, e -> false))) {
      await(() -> allCommitted(group));
      assertTrue(second.stats().duplicates() >= 10, "redeliveries not recognised: " + second.stats());
    }
    List<String> children = of(store, nx).stream().map(e -> e.getChildStateChanged().getChild()).toList();
    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      expected.add("child-" + i);
    }
    assertEquals(expected, children, "each event once, in order");
  }

  @Test
  void offsetsStayUncommittedWhileTheSinkFailsAndTheEventIsAppliedOnceItRecovers() throws Exception {
    String group = "g-fail";
    String nx = "nx-fail";
    RecordMetadata m = produce(List.of(record(BusTopics.IO_REBUILD, event("src-3", 1, nx).setRebuildStarted(
        RebuildStarted.newBuilder().setChild("c9"))))).get(0);
    MemorySink.Store store = new MemorySink.Store();
    BusConsumer.Options o = BusConsumer.Options.of(broker.bootstrapServers()).withGroupId(group)
        .withRetryBackoff(Duration.ofMillis(300));
    // Fails its first calls, whichever events they are; ours is among those retried until it lands.
    try (BusConsumer c = BusConsumer.start(o, new MemorySink(store, 4, e -> false))) {
      await(() -> c.stats().lag() >= 1); // each failed record is rewound to: the consumer stays behind
      await(() -> c.stats().failures() >= 2);
      assertTrue(of(store, nx).isEmpty());
      assertTrue(committedAt(group, m) <= m.offset(), "committed although the sink failed");
      await(() -> allCommitted(group));
      assertEquals(4, c.stats().failures());
      assertEquals(1, of(store, nx).size());
      assertEquals(m.offset() + 1, committedAt(group, m));
      await(() -> c.stats().lag() == 0);
    }
  }

  @Test
  void aRecordThatIsNotABusEventIsSkipped() throws Exception {
    String group = "g-malformed";
    produce(List.of(new ProducerRecord<>(BusTopics.IO_ERRORS, "nx-bad", new byte[] {(byte) 0xff, 1, 2}),
        record(BusTopics.IO_ERRORS, event("src-4", 1, "nx-bad").setErrorCounts(ErrorCounts.newBuilder()
            .setChild("c1")))));
    MemorySink.Store store = new MemorySink.Store();
    try (BusConsumer c = BusConsumer.start(BusConsumer.Options.of(broker.bootstrapServers()).withGroupId(group),
        new MemorySink(store, 0, e -> false))) {
      await(() -> allCommitted(group));
      assertEquals(1, c.stats().malformed());
      assertEquals(1, of(store, "nx-bad").size());
    }
  }

  @Test
  void theConsumerRidesOutABrokerRestart() throws Exception {
    String group = "g-restart";
    String nx = "nx-restart";
    MemorySink.Store store = new MemorySink.Store();
    try (BusConsumer c = BusConsumer.start(BusConsumer.Options.of(broker.bootstrapServers()).withGroupId(group)
        .withRetryBackoff(Duration.ofMillis(200)), new MemorySink(store, 0, e -> false))) {
      List<ProducerRecord<String, byte[]>> before = new ArrayList<>();
      for (int i = 1; i <= 5; i++) {
        before.add(record(BusTopics.IO_FAULTS, event("src-5", i, nx).setChildStateChanged(
            ChildStateChanged.newBuilder().setChild("child-" + i))));
      }
      produce(before);
      await(() -> of(store, nx).size() == 5);
      broker.stop();
      Thread.sleep(1000);
      broker.restart();
      List<ProducerRecord<String, byte[]>> after = new ArrayList<>();
      for (int i = 6; i <= 10; i++) {
        after.add(record(BusTopics.IO_FAULTS, event("src-5", i, nx).setChildStateChanged(
            ChildStateChanged.newBuilder().setChild("child-" + i))));
      }
      produce(after);
      await(() -> of(store, nx).size() == 10 && allCommitted(group));
      assertEquals(10, new HashSet<>(of(store, nx)).size());
    } finally {
      if (!broker.isRunning()) {
        broker.restart();
      }
    }
  }

  private static BusEvent.Builder event(String source, long seq, String nexus) {
    return BusEvent.newBuilder().setSource(source).setSeq(seq).setNexus(nexus).setNode("node-x")
        .setTimeMillis(System.currentTimeMillis());
  }

  private static ProducerRecord<String, byte[]> record(String topic, BusEvent.Builder e) {
    return new ProducerRecord<>(topic, e.getNexus(), e.build().toByteArray());
  }

  private static List<RecordMetadata> produce(List<ProducerRecord<String, byte[]>> records) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      List<RecordMetadata> out = new ArrayList<>();
      for (ProducerRecord<String, byte[]> r : records) {
        out.add(producer.send(r).get());
      }
      return out;
    }
  }

  private static Map<TopicPartition, OffsetAndMetadata> committed(String group) throws Exception {
    return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
  }

  /** Whether the group has committed every record of the io topics, the whole history of this broker. */
  private static boolean allCommitted(String group) {
    try {
      Map<TopicPartition, OffsetAndMetadata> done = committed(group);
      Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
      for (var t : admin.describeTopics(BusTopics.IO_TOPICS).allTopicNames().get().values()) {
        t.partitions().forEach(p -> ask.put(new TopicPartition(t.name(), p.partition()), OffsetSpec.latest()));
      }
      for (var e : admin.listOffsets(ask).all().get().entrySet()) {
        OffsetAndMetadata c = done.get(e.getKey());
        if (e.getValue().offset() != (c == null ? 0 : c.offset())) {
          return false;
        }
      }
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** The committed offset of {@code m}'s partition, 0 if none. */
  private static long committedAt(String group, RecordMetadata m) throws Exception {
    OffsetAndMetadata c = committed(group).get(new TopicPartition(m.topic(), m.partition()));
    return c == null ? 0 : c.offset();
  }

  private static List<BusEvent> of(MemorySink.Store store, String nexus) {
    return store.applied().stream().filter(e -> e.getNexus().equals(nexus)).toList();
  }

  private static void await(BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + T.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + T);
      }
      Thread.sleep(50);
    }
  }
}
