package io.caspian.datanode.bus;

import io.caspian.events.proto.bus.BusEvent;
import io.caspian.kafka.BusTopics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads every record of the io topics from the beginning, for tests to check what the publisher sent. */
public final class BusReader implements AutoCloseable {

  /** A record as read: where it was, its key, its decoded value. */
  public record Read(String topic, String key, BusEvent event) {}

  private final KafkaConsumer<String, byte[]> consumer;
  private final List<Read> read = new ArrayList<>();

  public BusReader(String servers) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> tps = new ArrayList<>();
    for (String t : BusTopics.IO_TOPICS) {
      consumer.partitionsFor(t).forEach(pi -> tps.add(new TopicPartition(t, pi.partition())));
    }
    consumer.assign(tps);
    consumer.seekToBeginning(tps);
  }

  /** Polls until {@code done} holds for everything read so far, or {@code timeout}; returns all read. */
  public List<Read> until(Predicate<List<Read>> done, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.test(read) && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        read.add(new Read(r.topic(), r.key(), BusEvent.parseFrom(r.value())));
      }
    }
    return List.copyOf(read);
  }

  @Override
  public void close() {
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
  }
}
