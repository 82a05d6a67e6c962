package io.caspian.control.bus;

import com.google.protobuf.InvalidProtocolBufferException;
import io.caspian.events.proto.bus.BusEvent;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaClientSecurity;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the io topics in a consumer group, at least once: each record is decoded, checked against the highest
 * sequence number applied for its {@link StreamKey} (kept by the sink, cached here), handed to the {@link BusSink}
 * and its offset committed only after the sink's stage completed. When the sink fails or does not answer within
 * {@code sinkTimeout}, the partition is rewound to that record and tried again after {@code retryBackoff}; the
 * stream's cached mark is dropped so the retry asks the sink what it persisted. Records of one partition are applied
 * one after the other, in order; a record that is not a bus event is skipped.
 */
public final class BusConsumer implements AutoCloseable {

  /**
   * @param bootstrapServers Kafka's host:port list
   * @param groupId the consumer group: every control-plane instance uses the same one
   * @param topics what to consume, normally {@link BusTopics#IO_TOPICS}
   * @param sinkTimeout how long one sink call may take before it counts as failed
   * @param retryBackoff wait before a failed record is tried again
   * @param security how it authenticates to the brokers and encrypts ({@code caspian.kafka.client})
   */
  public record Options(String bootstrapServers, String groupId, List<String> topics, Duration sinkTimeout,
      Duration retryBackoff, KafkaClientSecurity security) {

    public Options {
      if (bootstrapServers == null || bootstrapServers.isBlank()) {
        throw new IllegalArgumentException("bus consumer needs Kafka bootstrap servers");
      }
      if (groupId == null || groupId.isBlank()) {
        throw new IllegalArgumentException("bus consumer needs a consumer group id");
      }
      if (topics == null || topics.isEmpty()) {
        throw new IllegalArgumentException("bus consumer needs topics");
      }
      topics = List.copyOf(topics);
      if (security == null) {
        throw new IllegalArgumentException("bus consumer needs its Kafka client security (NONE for none)");
      }
    }

    public static Options of(String bootstrapServers) {
      return new Options(bootstrapServers, "caspian-control", BusTopics.IO_TOPICS, Duration.ofSeconds(30),
          Duration.ofMillis(500), KafkaClientSecurity.NONE);
    }

    public Options withGroupId(String g) {
      return new Options(bootstrapServers, g, topics, sinkTimeout, retryBackoff, security);
    }

    public Options withSinkTimeout(Duration d) {
      return new Options(bootstrapServers, groupId, topics, d, retryBackoff, security);
    }

    public Options withRetryBackoff(Duration d) {
      return new Options(bootstrapServers, groupId, topics, sinkTimeout, d, security);
    }

    public Options withSecurity(KafkaClientSecurity s) {
      return new Options(bootstrapServers, groupId, topics, sinkTimeout, retryBackoff, s);
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(BusConsumer.class);
  private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(10);
  /** Records end a poll at once; the timeout only paces an idle loop, and close() wakes it. */
  private static final Duration POLL = Duration.ofSeconds(1);
  /** How often refused credentials are tried (and logged) again. */
  private static final Duration AUTH_RETRY = Duration.ofSeconds(10);

  private final Options options;
  private final BusSink sink;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Thread thread;
  private final Map<StreamKey, Long> marks = new HashMap<>();
  private final AtomicLong applied = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  private volatile long lag;
  private volatile boolean running = true;

  private BusConsumer(Options options, BusSink sink) {
    this.options = options;
    this.sink = sink;
    Properties p = options.security().applyTo(new Properties());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, options.groupId());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100);
    p.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
    // A fetch with nothing to return waits at the broker this long; records end it at once, so this costs no
    // latency. The default 500 ms is 2 fetches a second on an idle system, each waking both sides (ADR idle-cost).
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5000);
    this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    this.thread = new Thread(this::run, "bus-consumer-" + options.groupId());
    thread.setDaemon(true);
  }

  /** Joins the group and consumes on a thread of its own until {@link #close}. */
  public static BusConsumer start(Options options, BusSink sink) {
    BusConsumer c = new BusConsumer(options, sink);
    c.thread.start();
    return c;
  }

  public ConsumerStats stats() {
    return new ConsumerStats(applied.get(), duplicates.get(), failures.get(), malformed.get(), lag);
  }

  /** Leaves the group without committing anything not yet committed; waits for the consumer thread. */
  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(15));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    try {
      consumer.subscribe(options.topics(), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> parts) {
          // Another member may apply these streams now: trust only what the sink persisted.
          marks.clear();
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> parts) {
          marks.clear();
        }
      });
      while (running) {
        try {
          ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
          lag = records.count() + lag();
          for (TopicPartition tp : records.partitions()) {
            if (!running) {
              return;
            }
            consumePartition(tp, records.records(tp));
          }
        } catch (WakeupException | InterruptException e) {
          throw e;
        } catch (AuthenticationException e) {
          // Not transient like an outage, but an operator may fix the broker's side: say so loudly and go on.
          LOG.error("bus consumer of group {}: Kafka at {} refused its credentials ({}, caspian.kafka.client): {}",
              options.groupId(), options.bootstrapServers(), options.security(), e.getMessage());
          Thread.sleep(AUTH_RETRY.toMillis());
        } catch (KafkaException e) {
          // The broker away, a rebalance at a bad moment: what was not committed comes again and is skipped.
          LOG.warn("bus consumer of group {}: {}; going on", options.groupId(), e.toString());
          Thread.sleep(options.retryBackoff().toMillis());
        }
      }
    } catch (WakeupException | InterruptException e) {
      // closing
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("bus consumer of group {} stopped", options.groupId(), e);
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  /**
   * Records past the batch just polled, from the positions and end offsets the consumer already holds (no request
   * to the broker). Read right after a poll: a seek back to a failed record makes it unknown until the next fetch.
   */
  private long lag() {
    long sum = 0;
    for (TopicPartition tp : consumer.assignment()) {
      sum += consumer.currentLag(tp).orElse(0);
    }
    return sum;
  }

  private void consumePartition(TopicPartition tp, List<ConsumerRecord<String, byte[]>> records)
      throws InterruptedException {
    long next = -1;
    for (ConsumerRecord<String, byte[]> r : records) {
      if (!handle(r)) {
        consumer.seek(tp, r.offset());
        break;
      }
      next = r.offset() + 1;
    }
    if (next >= 0) {
      try {
        consumer.commitSync(Map.of(tp, new OffsetAndMetadata(next)), COMMIT_TIMEOUT);
      } catch (WakeupException | InterruptException e) {
        throw e;
      } catch (KafkaException e) {
        // The partition moved to another member, or the broker is away: these records come again and are skipped.
        LOG.info("bus consumer of group {} could not commit {}: {}", options.groupId(), tp, e.toString());
      }
    }
  }

  /** Applies or skips one record; false when the sink failed and the record must be tried again. */
  private boolean handle(ConsumerRecord<String, byte[]> r) throws InterruptedException {
    BusEvent e;
    try {
      e = BusEvent.parseFrom(r.value() == null ? new byte[0] : r.value());
    } catch (InvalidProtocolBufferException bad) {
      malformed.incrementAndGet();
      LOG.warn("skipping {}-{}@{}: not a bus event: {}", r.topic(), r.partition(), r.offset(), bad.getMessage());
      return true;
    }
    StreamKey key = StreamKey.of(r.topic(), e);
    try {
      Long mark = marks.get(key);
      if (mark == null) {
        mark = sink.appliedUpTo(key).toCompletableFuture()
            .get(options.sinkTimeout().toMillis(), TimeUnit.MILLISECONDS);
        marks.put(key, mark);
      }
      if (e.getSeq() <= mark) {
        duplicates.incrementAndGet();
        return true;
      }
      sink.apply(key, e).toCompletableFuture().get(options.sinkTimeout().toMillis(), TimeUnit.MILLISECONDS);
      marks.put(key, e.getSeq());
      applied.incrementAndGet();
      return true;
    } catch (ExecutionException | TimeoutException | RuntimeException failed) {
      failures.incrementAndGet();
      marks.remove(key);
      LOG.warn("sink failed on {}-{}@{} ({}), trying again in {}", r.topic(), r.partition(), r.offset(), key,
          options.retryBackoff(), failed instanceof ExecutionException ? failed.getCause() : failed);
      Thread.sleep(options.retryBackoff().toMillis());
      return false;
    }
  }
}
