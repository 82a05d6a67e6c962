package io.caspian.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.SyncIo;
import io.caspian.control.ControlPlane;
import io.caspian.datanode.DataNode;
import io.caspian.datanode.DataNodeSettings;
import io.caspian.events.proto.ChildState;
import io.caspian.events.proto.bus.BusEvent;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import io.caspian.kafka.TopicAdmin;
import io.caspian.nvmf.host.NvmfDevice;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.pekko.actor.typed.Props;

/**
 * {@code bench/fault-loop}: from a child's fault written to Kafka until the rebuild of its replacement has started.
 * The control plane, three DataNodes and a real broker run in this JVM; the control plane's periodic sweep is off
 * (1 h), so the bus and the io-engines' state reports drive the replacement. Times are the Kafka record timestamps
 * (producer clock, this machine) of the io-engine's ChildStateChanged to FAULTED and of the RebuildStarted of the
 * replacement child.
 */
public final class FaultLoop {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MIB = 1L << 20;
  private static final long SIZE = 16 * MIB;
  private static final int BLOCK = 4096;
  private static final Duration WAIT = Duration.ofSeconds(60);

  /** A record as read from the io topics, with its Kafka timestamp. */
  private record Seen(long timestamp, BusEvent event) {
  }

  private final ControlPlane control;
  private final HttpClient http = HttpClient.newHttpClient();

  private FaultLoop(ControlPlane control) {
    this.control = control;
  }

  public static void main(String[] args) throws Exception {
    int faults = 10;
    Path base = Path.of(System.getenv().getOrDefault("TMPDIR", "/var/tmp"));
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--faults" -> faults = Integer.parseInt(args[++i]);
        case "--dir" -> base = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i] + "; known: --faults N --dir DIR");
      }
    }
    Path dir = Files.createTempDirectory(base, "caspian-fault-loop-");
    try {
      run(dir, faults);
    } finally {
      try (Stream<Path> all = Files.walk(dir)) {
        all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.exit(0);
  }

  private static void run(Path dir, int faults) throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"))) {
      try (TopicAdmin admin = new TopicAdmin(broker.bootstrapServers())) {
        admin.ensure(BusTopics.all((short) 1), Duration.ofSeconds(30));
      }
      List<Seen> seen = new CopyOnWriteArrayList<>();
      Thread reader = new Thread(() -> read(broker.bootstrapServers(), seen), "fault-loop-reader");
      reader.setDaemon(true);
      reader.start();
      try (ControlPlane control = ControlPlane.start(ConfigFactory.parseMap(Map.of(
          "pekko.cluster.roles", List.of("control"),
          "pekko.remote.artery.canonical.hostname", "127.0.0.1",
          "pekko.remote.artery.canonical.port", 0,
          "pekko.loglevel", "WARNING",
          "caspian.data-dir", dir.resolve("control").toString(),
          "caspian.control.rest.port", 0,
          "caspian.control.volatile-pools-for-all", true,
          "caspian.control.reconcile-interval", "1h",
          "caspian.control.bus.bootstrap-servers", broker.bootstrapServers())))) {
        new FaultLoop(control).loop(dir, broker.bootstrapServers(), faults, seen);
      }
    }
  }

  private void loop(Path dir, String kafka, int faults, List<Seen> seen) throws Exception {
    List<String> nodes = List.of("fl-1", "fl-2", "fl-3");
    for (String n : nodes) {
      control.system().systemActorOf(DataNode.create(DataNodeSettings.local(n, dir.resolve(n))
          .withKafka(kafka, Duration.ofSeconds(10))), n, Props.empty());
    }
    await(() -> call("GET", "/v0/nodes", null).size() == nodes.size(), "io-engines registered");
    for (String n : nodes) {
      call("PUT", "/v0/nodes/" + n + "/pools/" + n + "-pool", "{\"disks\":[\"malloc:///" + n
          + "-pool?size_mb=64\"]}");
    }
    String id = UUID.randomUUID().toString();
    call("PUT", "/v0/volumes/" + id, "{\"size\":" + SIZE + ",\"replicas\":2}");
    String device = call("PUT", "/v0/volumes/" + id + "/target?protocol=nvmf&node=fl-1", null)
        .get("target").get("device_uri").asText();
    List<Long> millis = new ArrayList<>();
    ByteBuffer buf = DirectMemory.allocateAligned(BLOCK, BLOCK);
    try (BlockDevice dev = DeviceOpener.standard().with("nvmf", NvmfDevice.factory()).open(device)) {
      for (int f = 0; f < faults; f++) {
        JsonNode victim = null;
        for (JsonNode c : call("GET", "/v0/nexuses/" + id, null).get("children")) {
          if (c.get("uri").asText().startsWith("nvmf://")) {
            victim = c;
          }
        }
        if (victim == null) {
          throw new IllegalStateException("the nexus of volume " + id + " has no remote child to fault");
        }
        String uri = victim.get("uri").asText();
        String replica = victim.get("replica").asText();
        call("PUT", "/v0/volumes/" + id + "/children/" + replica + "/fault", "{\"op\":\"write\",\"length\":"
            + SIZE + "}");
        // Past the nexus's error threshold (64 errors in its window) the child is faulted.
        for (int i = 0; i < 256 && faultedAt(seen, uri) < 0; i++) {
          SyncIo.write(dev, (long) (i % 1024) * BLOCK, buf, 0, BLOCK);
        }
        await(() -> {
          JsonNode v = call("GET", "/v0/volumes/" + id, null);
          return "Online".equals(v.get("status").asText()) && v.get("replicas").size() == 2
              && !v.get("replicas").toString().contains(replica);
        }, "replica " + replica + " replaced and the volume online");
        await(() -> rebuildStartedAfter(seen, id, uri, faultedAt(seen, uri)) >= 0, "the bus records of fault "
            + (f + 1));
        long faulted = faultedAt(seen, uri);
        long started = rebuildStartedAfter(seen, id, uri, faulted);
        millis.add(started - faulted);
        System.err.printf(Locale.ROOT, "fault %d: child %s faulted, replacement rebuild started %d ms later%n",
            f + 1, uri, started - faulted);
      }
    }
    List<Long> sorted = millis.stream().sorted().toList();
    long p50 = sorted.get((sorted.size() - 1) / 2);
    long max = sorted.get(sorted.size() - 1);
    System.out.printf(Locale.ROOT, "RESULT fault_to_rebuild_ms_p50=%d fault_to_rebuild_ms_max=%d%n", p50, max);
  }

  private static long faultedAt(List<Seen> seen, String child) {
    for (Seen s : seen) {
      var e = s.event();
      if (e.hasChildStateChanged() && e.getChildStateChanged().getChild().equals(child)
          && e.getChildStateChanged().getTo().getState() == ChildState.CHILD_FAULTED) {
        return s.timestamp();
      }
    }
    return -1;
  }

  private static long rebuildStartedAfter(List<Seen> seen, String nexus, String faulted, long after) {
    if (after < 0) {
      return -1;
    }
    for (Seen s : seen) {
      var e = s.event();
      if (e.getNexus().equals(nexus) && e.hasRebuildStarted() && !e.getRebuildStarted().getChild().equals(faulted)
          && s.timestamp() >= after) {
        return s.timestamp();
      }
    }
    return -1;
  }

  /** Reads the io topics from their start for the whole run. */
  private static void read(String servers, List<Seen> seen) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (String t : BusTopics.IO_TOPICS) {
        consumer.partitionsFor(t).forEach(pi -> tps.add(new TopicPartition(t, pi.partition())));
      }
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      while (!Thread.currentThread().isInterrupted()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          try {
            seen.add(new Seen(r.timestamp(), BusEvent.parseFrom(r.value())));
          } catch (IOException e) {
            // not a bus record: not ours to measure
          }
        }
      }
    } catch (RuntimeException e) {
      // the broker went away at the end of the run
    }
  }

  private JsonNode call(String method, String path, String body) {
    try {
      HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + control.restPort() + path))
          .timeout(Duration.ofSeconds(30))
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body))
          .header("Content-Type", "application/json").header("Authorization", ControlBench.bearer(control)).build();
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
      }
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(method + " " + path + " interrupted", e);
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("timed out after " + WAIT.toSeconds() + " s waiting for: " + what);
  }
}
