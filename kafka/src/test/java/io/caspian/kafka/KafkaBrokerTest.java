package io.caspian.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaBrokerTest {

  private static final Duration T = Duration.ofSeconds(30);

  @TempDir
  static Path dir;
  static KafkaBroker broker;

  @BeforeAll
  static void start() {
    broker = KafkaBroker.start(dir.resolve("kafka"));
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void topicsGetTheirPartitionsAndRetentionIdempotently() throws InterruptedException {
    List<TopicSpec> specs = BusTopics.all((short) 1);
    try (TopicAdmin admin = new TopicAdmin(broker.bootstrapServers())) {
      admin.ensure(specs, T);
      admin.ensure(specs, T); // a second start-up changes nothing and does not fail
      Map<String, TopicSpec> actual = admin.describe(specs.stream().map(TopicSpec::name).toList(), T);
      for (TopicSpec s : specs) {
        assertEquals(s, actual.get(s.name()));
      }
      // A changed retention is applied to the existing topic; its partitions stay.
      TopicSpec shorter = new TopicSpec(BusTopics.IO_ERRORS, 3, (short) 1, Duration.ofHours(2));
      admin.ensure(List.of(shorter), T);
      // The broker applies config changes through its metadata log, so they show a moment later.
      long deadline = System.nanoTime() + T.toNanos();
      TopicSpec now = admin.describe(List.of(BusTopics.IO_ERRORS), T).get(BusTopics.IO_ERRORS);
      while (!now.retention().equals(shorter.retention()) && System.nanoTime() < deadline) {
        Thread.sleep(100);
        now = admin.describe(List.of(BusTopics.IO_ERRORS), T).get(BusTopics.IO_ERRORS);
      }
      assertEquals(6, now.partitions());
      assertEquals(Duration.ofHours(2), now.retention());
      admin.ensure(specs, T);
    }
  }

  @Test
  void recordsSurviveStopRestartAndKill() throws Exception {
    String topic = "launcher-test";
    try (TopicAdmin admin = new TopicAdmin(broker.bootstrapServers())) {
      admin.ensure(List.of(new TopicSpec(topic, 1, (short) 1, Duration.ofDays(1))), T);
    }
    produce(topic, "before-restart");
    String cluster = broker.clusterId();
    int port = broker.port();

    broker.restart();
    assertTrue(broker.isRunning());
    assertEquals(port, broker.port());
    produce(topic, "after-restart");

    broker.kill();
    assertFalse(broker.isRunning());
    // A new launcher on the same directory finds the same cluster at the same address.
    broker = KafkaBroker.start(dir.resolve("kafka"));
    assertEquals(cluster, broker.clusterId());
    assertEquals(port, broker.port());
    assertEquals(List.of("before-restart", "after-restart"), readAll(topic));
  }

  @Test
  void aDirectoryMadeForOnePortRefusesAnother() {
    Path d = dir.resolve("kafka");
    int other = broker.port() == 1 ? 2 : broker.port() - 1;
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> KafkaBroker.start(KafkaBroker.Options.in(d).withPort(other)));
    assertTrue(e.getMessage().contains(d.toString()), e.getMessage());
  }

  private static void produce(String topic, String value) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, "k", value)).get();
    }
  }

  private static List<String> readAll(String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, String> c =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + T.toNanos();
      while (out.size() < 2 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
          out.add(r.value());
        }
      }
    }
    return out;
  }
}
