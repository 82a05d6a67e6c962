package io.caspian.datanode.bus;

import io.caspian.bdev.BdevException;
import io.caspian.events.Health;
import io.caspian.events.proto.bus.BusEvent;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaClientSecurity;
import io.caspian.nexus.Nexus;
import io.caspian.nexus.NexusEvent;
import io.caspian.nexus.NexusListener;
import io.caspian.rebuild.RebuildStats;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes nexus events (and pool health changes) to the io topics ({@link BusTopics#IO_TOPICS}), keyed by nexus uuid, as {@link BusEvent}
 * protobuf values. {@link #onEvent} only maps the event and queues it in an {@link EventBuffer}, so a nexus thread
 * never waits for Kafka; one sender thread hands queued events to an idempotent producer (acks=all) whose delivery
 * timeout is unlimited: a record once handed over is retried across broker outages until it lands, in order. At most
 * {@code maxInFlight} records are with the producer at once; the rest wait in the buffer, where error counts can
 * still be coalesced or dropped and fault and rebuild events are kept.
 *
 * <p>Each record carries the publisher's {@code source} (node and a uuid made at construction) and a sequence number
 * per (topic, nexus), so consumers drop redeliveries. A record the producer gives up on (a non-retriable error) is
 * sent again with the same number. Events still queued at {@link #close} are lost with the process: the control
 * plane's reconcilers catch up from the io-engine's state report.
 */
public final class BusPublisher implements NexusListener, AutoCloseable {

  /**
   * @param bootstrapServers Kafka's host:port list
   * @param node this io-engine's node name
   * @param errorCapacity most children whose error counts wait while Kafka is away
   * @param maxInFlight most records with the producer at once
   * @param progressInterval how often a running rebuild's progress is published; zero for never
   * @param security how it authenticates to the brokers and encrypts ({@code caspian.kafka.client})
   */
  public record Options(String bootstrapServers, String node, int errorCapacity, int maxInFlight,
      Duration progressInterval, KafkaClientSecurity security) {

    public Options {
      if (bootstrapServers == null || bootstrapServers.isBlank()) {
        throw new IllegalArgumentException("bus publisher needs Kafka bootstrap servers");
      }
      if (node == null || node.isBlank()) {
        throw new IllegalArgumentException("bus publisher needs the node name");
      }
      if (maxInFlight < 1) {
        throw new IllegalArgumentException("bus publisher maxInFlight must be at least 1, not " + maxInFlight);
      }
      if (progressInterval == null || progressInterval.isNegative()) {
        throw new IllegalArgumentException("rebuild progress interval must be >= 0, not " + progressInterval);
      }
      if (security == null) {
        throw new IllegalArgumentException("bus publisher needs its Kafka client security (NONE for none)");
      }
    }

    public static Options of(String bootstrapServers, String node) {
      return new Options(bootstrapServers, node, 1024, 256, Duration.ofSeconds(5), KafkaClientSecurity.NONE);
    }

    public Options withErrorCapacity(int n) {
      return new Options(bootstrapServers, node, n, maxInFlight, progressInterval, security);
    }

    public Options withMaxInFlight(int n) {
      return new Options(bootstrapServers, node, errorCapacity, n, progressInterval, security);
    }

    public Options withProgressInterval(Duration d) {
      return new Options(bootstrapServers, node, errorCapacity, maxInFlight, d, security);
    }

    public Options withSecurity(KafkaClientSecurity s) {
      return new Options(bootstrapServers, node, errorCapacity, maxInFlight, progressInterval, s);
    }
  }

  private static final System.Logger LOG = System.getLogger(BusPublisher.class.getName());
  /** How often refused credentials are tried (and logged) again. */
  private static final long AUTH_RETRY_MS = 10_000;

  private final Options options;
  private final String source;
  private final EventBuffer buffer;
  private final KafkaProducer<String, byte[]> producer;
  private final Semaphore permits;
  private final Thread sender;
  private final ScheduledExecutorService sampler;
  private final Map<String, Nexus> attached = new ConcurrentHashMap<>();
  private final Map<String, ScheduledFuture<?>> sampling = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Outgoing> failed = new ConcurrentLinkedQueue<>();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean closed;
  /** Set when the brokers refused this publisher's credentials; the sender reports it and waits. */
  private volatile AuthenticationException refused;
  private int warnAt = 4096;

  public BusPublisher(Options options) {
    this.options = options;
    this.source = options.node() + "/" + UUID.randomUUID();
    this.buffer = new EventBuffer(options.errorCapacity());
    this.permits = new Semaphore(options.maxInFlight());
    this.producer = new KafkaProducer<>(producerConfig(options), new StringSerializer(), new ByteArraySerializer());
    this.sampler = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "bus-progress-" + options.node()));
    this.sender = daemon(this::send, "bus-sender-" + options.node());
    sender.start();
  }

  /** This publisher's source id, as carried in every record. */
  public String source() {
    return source;
  }

  /** Publishes {@code nexus}'s events from now on, with rebuild progress checkpoints. */
  public void attach(Nexus nexus) {
    attached.put(nexus.uuid(), nexus);
    nexus.addListener(this);
  }

  public void detach(Nexus nexus) {
    nexus.removeListener(this);
    attached.remove(nexus.uuid());
    sampling.entrySet().removeIf(e -> {
      if (e.getKey().startsWith(nexus.uuid() + "\n")) {
        e.getValue().cancel(false);
        return true;
      }
      return false;
    });
  }

  @Override
  public void onEvent(NexusEvent e) {
    if (closed) {
      return;
    }
    String topic = EventMapper.topicOf(e);
    String key = e instanceof NexusEvent.ErrorCountsReported c ? e.nexus() + "\n" + c.counts().child() : null;
    offer(new Outgoing(topic, e.nexus(), key, EventMapper.toProto(e)));
    if (e instanceof NexusEvent.RebuildStarted s) {
      startSampling(s.nexus(), s.child());
    } else if (e instanceof NexusEvent.RebuildFinished f) {
      stopSampling(f.nexus(), f.record().destination());
    }
  }

  /**
   * Publishes a pool's health change on {@code caspian.io.faults}, keyed {@code pool/<node>/<pool>}
   * (a pool name is unique on its node only). Never coalesced: each change is kept, in order.
   */
  public void poolStateChanged(String pool, String uuid, String disk, Health from, Health to,
      String reason) {
    if (closed) {
      return;
    }
    String key = poolKey(options.node(), pool);
    offer(new Outgoing(BusTopics.IO_FAULTS, key, null,
        EventMapper.poolStateChanged(key, pool, uuid, disk, from, to, reason)));
  }

  /** The record key (and BusEvent.nexus) of a pool's records. */
  public static String poolKey(String node, String pool) {
    return "pool/" + node + "/" + pool;
  }

  public PublisherStats stats() {
    return new PublisherStats(accepted.get(), delivered.get(), buffer.coalesced(), buffer.dropped(),
        buffer.size(), buffer.orderedSize(), buffer.orderedHighWater(),
        inFlight.get());
  }

  /** Stops taking events, gives records with the producer up to {@code timeout} to land, and closes. */
  public void close(Duration timeout) {
    if (closed) {
      return;
    }
    closed = true;
    attached.values().forEach(n -> n.removeListener(this));
    sampler.shutdownNow();
    sender.interrupt();
    try {
      sender.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(timeout);
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }

  private void offer(Outgoing o) {
    o.event.setNode(options.node()).setTimeMillis(System.currentTimeMillis());
    accepted.incrementAndGet();
    buffer.offer(o);
  }

  private void startSampling(String nexus, String child) {
    Nexus n = attached.get(nexus);
    long every = options.progressInterval().toMillis();
    if (n == null || every == 0) {
      return;
    }
    Runnable sample = () -> {
      try {
        progress(nexus, child, n.rebuildStats(child));
      } catch (BdevException | RuntimeException gone) {
        stopSampling(nexus, child); // the job ended between two samples
      }
    };
    try {
      ScheduledFuture<?> old = sampling.put(nexus + "\n" + child, sampler.scheduleAtFixedRate(sample, every, every,
          TimeUnit.MILLISECONDS));
      if (old != null) {
        old.cancel(false);
      }
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // closed meanwhile: no more checkpoints
    }
  }

  /** Publishes a progress checkpoint; a queued, unsent checkpoint of the same child is replaced. */
  void progress(String nexus, String child, RebuildStats s) {
    if (!closed) {
      offer(new Outgoing(BusTopics.IO_REBUILD, nexus, nexus + "\n" + child, EventMapper.progress(nexus, child, s)));
    }
  }

  private void stopSampling(String nexus, String child) {
    ScheduledFuture<?> f = sampling.remove(nexus + "\n" + child);
    if (f != null) {
      f.cancel(false);
    }
  }

  /** The sender thread: resends first, in their first order, then the buffer's events. */
  private void send() {
    Map<String, Long> seqs = new HashMap<>();
    PriorityQueue<Outgoing> resend = new PriorityQueue<>((a, b) -> Long.compare(a.order, b.order));
    long order = 0;
    try {
      while (!closed) {
        AuthenticationException r = refused;
        if (r != null) {
          // Not an outage that ends by itself: say so loudly, keep the events, and try again now and then (the
          // broker's side may be fixed) instead of at once.
          refused = null;
          LOG.log(System.Logger.Level.ERROR, "Kafka at " + options.bootstrapServers() + " refused the credentials of "
              + "io-engine " + options.node() + " (" + options.security() + ", caspian.kafka.client): "
              + r.getMessage() + "; its events wait");
          Thread.sleep(AUTH_RETRY_MS);
        }
        for (Outgoing f; (f = failed.poll()) != null; ) {
          resend.add(f);
        }
        if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
          continue;
        }
        Outgoing o = resend.poll();
        if (o == null) {
          // Long: a record to send again nudges the wait, and an idle io-engine's sender wakes once a second.
          o = buffer.poll(1, TimeUnit.SECONDS);
        }
        if (o == null) {
          permits.release();
          continue;
        }
        if (o.seq == 0) {
          o.seq = seqs.merge(o.topic + "\n" + o.nexus, 1L, Long::sum);
          o.order = ++order;
        }
        warnIfLong();
        BusEvent value = o.event.setSource(source).setSeq(o.seq).build();
        Outgoing sent = o;
        inFlight.incrementAndGet();
        try {
          producer.send(new ProducerRecord<>(o.topic, o.nexus, value.toByteArray()), (md, ex) -> {
            inFlight.decrementAndGet();
            permits.release();
            if (ex == null) {
              delivered.incrementAndGet();
            } else if (ex instanceof AuthenticationException refusedNow) {
              refused = refusedNow;
              failed.add(sent);
              buffer.nudge();
            } else {
              LOG.log(System.Logger.Level.WARNING, "a " + sent.topic + " record of nexus "
                  + sent.nexus + " was not delivered (" + ex + "); sending it again");
              failed.add(sent);
              buffer.nudge();
            }
          });
        } catch (KafkaException ex) {
          // No metadata yet (broker away since start) or the producer's memory is full: try again shortly.
          if (ex instanceof AuthenticationException refusedNow) {
            refused = refusedNow;
          }
          inFlight.decrementAndGet();
          permits.release();
          resend.add(o);
          Thread.sleep(200);
        }
      }
    } catch (InterruptedException e) {
      // closing
    }
  }

  private void warnIfLong() {
    int n = buffer.orderedSize();
    if (n >= warnAt) {
      LOG.log(System.Logger.Level.WARNING, n + " fault and rebuild events are waiting for Kafka at "
          + options.bootstrapServers() + "; none is dropped");
      warnAt *= 2;
    }
  }

  private static Properties producerConfig(Options o) {
    Properties p = o.security().applyTo(new Properties());
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrapServers());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "caspian-io-" + o.node());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    p.put(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE);
    // A record handed over is never given up on: order per nexus holds across outages of any length.
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
    // Bounds the sender's wait in send() for metadata of a broker that is away; the buffer holds events meanwhile.
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2000);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
    p.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 1000);
    return p;
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
