package io.caspian.bench;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.caspian.app.DataNodes;
import io.caspian.app.IoEngineOptions;
import io.caspian.control.ControlPlane;
import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.node.NodeCommand;
import io.caspian.control.entity.node.NodeEntity;
import io.caspian.control.journal.JournalSchema;
import io.caspian.control.journal.JournalSettings;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * {@code bench/control}: what the control plane costs. First, create and publish thin 3-replica volumes through the
 * REST API of one JVM holding the control plane and six io-engines with malloc pools (the {@code caspian up}
 * layout, so no network hop but the loopback HTTP one), {@code concurrency} clients at a time, timing each
 * create+publish; then list them, get one, time the reconciler's idle ticks and weigh the heap they hold. Then
 * journal replay: persist {@code events} Node events across 100 entities into an H2 journal
 * with snapshots off, restart the actor system and time until every entity has recovered.
 */
public final class ControlBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ENGINES = 6;
  private static final int REPLAY_ENTITIES = 100;
  private static final Duration ASK = Duration.ofSeconds(60);
  private static final Duration IDLE_TICK_INTERVAL = Duration.ofSeconds(2);
  private static final int IDLE_TICKS = 5;

  private ControlBench() {
  }

  public static void main(String[] args) throws Exception {
    // Per-connection INFO lines of the io-engines (thousands here) would be measured too; keep warnings only.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.caspian")).setLevel(Level.WARN);
    int volumes = 1000;
    int events = 100_000;
    int concurrency = 16;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--volumes" -> volumes = Integer.parseInt(args[++i]);
        case "--events" -> events = Integer.parseInt(args[++i]);
        case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException(
            "usage: control [--volumes N] [--events N] [--concurrency C]");
      }
    }
    Path work = Files.createTempDirectory("caspian-bench-control");
    try {
      StringBuilder result = new StringBuilder("RESULT");
      if (volumes > 0) {
        volumes(work.resolve("cluster"), volumes, concurrency, result);
      }
      if (events > 0) {
        replay(work.resolve("replay"), events, result);
      }
      System.out.println(result);
    } finally {
      deleteTree(work);
    }
  }

  private static void volumes(Path dir, int count, int concurrency, StringBuilder result) throws Exception {
    Files.createDirectories(dir);
    Config config = ConfigFactory.parseMap(Map.of(
        "pekko.cluster.roles", List.of("control", "io-engine"),
        "pekko.remote.artery.canonical.hostname", "127.0.0.1",
        "pekko.remote.artery.canonical.port", 0,
        "pekko.loglevel", "WARNING",
        "caspian.data-dir", dir.toString(),
        "caspian.control.rest.port", 0,
        "caspian.control.volatile-pools-for-all", true,
        "caspian.control.overcommit-percent", 5000,
        // Short, so that the idle ticks measured below come within seconds; the page is the default one.
        "caspian.control.reconcile-interval", IDLE_TICK_INTERVAL.toMillis() + "ms",
        "caspian.control.operation-threads", Math.max(8, concurrency)));
    PrometheusRegistry metrics = new PrometheusRegistry();
    try (ControlPlane control = ControlPlane.start(config, List.of(), metrics)) {
      for (int i = 1; i <= ENGINES; i++) {
        IoEngineOptions o = new IoEngineOptions("bench-" + i, dir.resolve("node-" + i), "127.0.0.1", freePort(),
            freePort(), Map.of(), List.of());
        Files.createDirectories(o.dataDir());
        control.system().systemActorOf(DataNodes.behavior(o), "data-node-" + i, Props.empty());
      }
      Rest rest = new Rest("http://127.0.0.1:" + control.restPort(), bearer(control));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (rest.call("GET", "/v0/nodes").size() < ENGINES) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("io-engines did not register within 60 s");
        }
        Thread.sleep(100);
      }
      for (int i = 1; i <= ENGINES; i++) {
        rest.call("PUT", "/v0/nodes/bench-" + i + "/pools/bench-pool-" + i,
            "{\"disks\":[\"malloc:///bench-pool-" + i + "?size_mb=256\"]}");
      }
      long heapBefore = retainedHeap();
      System.out.printf(Locale.ROOT, "%d io-engines with 256 MiB malloc pools; %d volumes (1 MiB, thin, 3 replicas),"
          + " create + publish nbd, %d at a time%n", ENGINES, count, concurrency);
      Histogram latency = new Histogram();
      AtomicInteger done = new AtomicInteger();
      ExecutorService clients = Executors.newFixedThreadPool(concurrency);
      long cpu0 = processCpuNanos();
      long start = System.nanoTime();
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        futures.add(clients.submit(() -> {
          String id = UUID.randomUUID().toString();
          long t0 = System.nanoTime();
          rest.call("PUT", "/v0/volumes/" + id, "{\"size\":1048576,\"replicas\":3,\"thin\":true}");
          rest.call("PUT", "/v0/volumes/" + id + "/target?protocol=nbd", null);
          latency.record(System.nanoTime() - t0);
          int n = done.incrementAndGet();
          if (n % 100 == 0) {
            System.out.printf(Locale.ROOT, "  %4d volumes  %6.1f s%n", n, (System.nanoTime() - start) / 1e9);
          }
          return null;
        }));
      }
      try {
        for (Future<?> f : futures) {
          f.get(10, TimeUnit.MINUTES);
        }
      } finally {
        clients.shutdownNow();
      }
      double total = (System.nanoTime() - start) / 1e9;
      double cores = (processCpuNanos() - cpu0) / 1e9 / total;
      double p50 = latency.quantile(0.50) / 1e6;
      double p99 = latency.quantile(0.99) / 1e6;
      System.out.printf(Locale.ROOT, "volumes: %d in %.1f s, %.0f/s; per volume p50 %.1f ms, p99 %.1f ms;"
          + " the JVM used %.2f cores of %d%n", count, total, count / total, p50, p99, cores,
          Runtime.getRuntime().availableProcessors());
      result.append(String.format(Locale.ROOT, " volumes_%s_s=%.1f create_p50_ms=%.1f create_p99_ms=%.1f",
          scale(count), total, p50, p99));
      reads(rest, count, result);
      idleTick(metrics, result);
      double heapKb = (retainedHeap() - heapBefore) / 1024.0 / count;
      System.out.printf(Locale.ROOT, "retained heap after a full GC: %.1f KiB per volume (control plane and"
          + " io-engines)%n", heapKb);
      result.append(String.format(Locale.ROOT, " heap_kb_per_volume=%.1f", heapKb));
    }
  }

  /**
   * A reconcile tick with nothing to do: the mean duration of the timer's paged passes over healthy volumes, read
   * from the reconciler's own histogram over {@link #IDLE_TICKS} ticks once every volume exists.
   */
  private static void idleTick(PrometheusRegistry metrics, StringBuilder result) throws InterruptedException {
    double[] before = pagePasses(metrics);
    Thread.sleep(IDLE_TICK_INTERVAL.toMillis() * IDLE_TICKS + IDLE_TICK_INTERVAL.toMillis() / 2);
    double[] after = pagePasses(metrics);
    double ticks = after[0] - before[0];
    if (ticks < 1) {
      throw new IllegalStateException("no reconcile tick within " + IDLE_TICKS + " intervals");
    }
    double ms = (after[1] - before[1]) / ticks * 1000;
    System.out.printf(Locale.ROOT, "idle reconcile tick (a page of the safety sweep): %.1f ms mean over %.0f ticks%n",
        ms, ticks);
    result.append(String.format(Locale.ROOT, " idle_tick_ms=%.1f", ms));
  }

  /** Count and sum (seconds) of the reconciler's {@code page} passes so far. */
  private static double[] pagePasses(PrometheusRegistry metrics) {
    for (MetricSnapshot m : metrics.scrape()) {
      if (m instanceof HistogramSnapshot h && h.getMetadata().getName().equals("caspian_reconcile_pass_duration_seconds")) {
        for (HistogramSnapshot.HistogramDataPointSnapshot p : h.getDataPoints()) {
          if ("page".equals(p.getLabels().get("kind"))) {
            return new double[] {p.getCount(), p.getSum()};
          }
        }
        return new double[] {0, 0};
      }
    }
    throw new IllegalStateException("the control plane registered no caspian_reconcile_pass_duration_seconds");
  }

  /** Heap in use after full collections, which leave only what is reachable. */
  private static long retainedHeap() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      memory.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * Listing all volumes (the read model): the first right after the last command, which waits for the projection
   * to pass it, then the median of 5 more; and the median of 20 GETs of one volume (its entity).
   */
  private static void reads(Rest rest, int count, StringBuilder result) throws Exception {
    long t0 = System.nanoTime();
    var listed = rest.call("GET", "/v0/volumes");
    double first = (System.nanoTime() - t0) / 1e6;
    if (listed.size() != count) {
      throw new IllegalStateException("GET /v0/volumes listed " + listed.size() + " volumes, not " + count);
    }
    double[] lists = new double[5];
    for (int i = 0; i < lists.length; i++) {
      long t = System.nanoTime();
      rest.call("GET", "/v0/volumes");
      lists[i] = (System.nanoTime() - t) / 1e6;
    }
    String one = listed.get(count / 2).get("uuid").asText();
    double[] gets = new double[20];
    for (int i = 0; i < gets.length; i++) {
      long t = System.nanoTime();
      rest.call("GET", "/v0/volumes/" + one);
      gets[i] = (System.nanoTime() - t) / 1e6;
    }
    java.util.Arrays.sort(lists);
    java.util.Arrays.sort(gets);
    System.out.printf(Locale.ROOT, "GET /v0/volumes (%d): %.1f ms right after the last create, median %.1f ms; "
        + "GET /v0/volumes/{id}: median %.2f ms%n", count, first, lists[2], gets[10]);
    result.append(String.format(Locale.ROOT, " list_after_create_ms=%.1f list_%s_ms=%.1f get_one_ms=%.2f",
        first, scale(count), lists[2], gets[10]));
  }

  /** The volume count as the result keys name it: 10k for 10,000. */
  private static String scale(int count) {
    return count % 1000 == 0 ? count / 1000 + "k" : Integer.toString(count);
  }

  private static void replay(Path dir, int events, StringBuilder result) throws Exception {
    Files.createDirectories(dir);
    JournalSettings journal = JournalSettings.h2(dir);
    JournalSchema.ensure(journal);
    Config config = journal.pekkoConfig().withFallback(ConfigFactory.parseMap(Map.of(
        "pekko.actor.provider", "local",
        "pekko.loglevel", "WARNING"))).withFallback(ConfigFactory.load());
    // No snapshot within the run: every recovery replays the whole journal.
    EntitySettings noSnapshots = new EntitySettings(Integer.MAX_VALUE, 1);
    int perEntity = events / REPLAY_ENTITIES;
    int total = perEntity * REPLAY_ENTITIES;

    ActorSystem<Void> writer = ActorSystem.create(Behaviors.empty(), "replay-write", config);
    long start = System.nanoTime();
    try {
      List<CompletableFuture<?>> all = new ArrayList<>();
      for (int e = 0; e < REPLAY_ENTITIES; e++) {
        ActorRef<NodeCommand> node = writer.systemActorOf(NodeEntity.create("n" + e, noSnapshots), "n" + e,
            Props.empty());
        CompletionStage<Reply> chain = ask(writer, node, r -> new NodeCommand.Register("127.0.0.1:4420", Map.of(), r));
        // Each Cordon/Uncordon flips the state, so each persists one event.
        for (int k = 1; k < perEntity; k++) {
          boolean cordon = k % 2 == 1;
          chain = chain.thenCompose(x -> ask(writer, node,
              cordon ? NodeCommand.Cordon::new : NodeCommand.Uncordon::new));
        }
        all.add(chain.toCompletableFuture());
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
    } finally {
      terminate(writer);
    }
    double writeS = (System.nanoTime() - start) / 1e9;
    System.out.printf(Locale.ROOT, "journal: %d events over %d entities written in %.1f s (%.0f events/s)%n",
        total, REPLAY_ENTITIES, writeS, total / writeS);

    ActorSystem<Void> reader = ActorSystem.create(Behaviors.empty(), "replay-read", config);
    try {
      // Opening the database and its connection pool is start-up, not replay.
      ask(reader, reader.systemActorOf(NodeEntity.create("warm-up", noSnapshots), "warm-up", Props.empty()),
          NodeCommand.Get::new).toCompletableFuture().get(60, TimeUnit.SECONDS);
      start = System.nanoTime();
      List<CompletableFuture<Reply>> all = new ArrayList<>();
      for (int e = 0; e < REPLAY_ENTITIES; e++) {
        ActorRef<NodeCommand> node = reader.systemActorOf(NodeEntity.create("n" + e, noSnapshots), "n" + e,
            Props.empty());
        all.add(ask(reader, node, NodeCommand.Get::new).toCompletableFuture());
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
      double replayS = (System.nanoTime() - start) / 1e9;
      for (CompletableFuture<Reply> f : all) {
        if (!(f.get() instanceof Reply.Ok)) {
          throw new IllegalStateException("an entity did not recover: " + f.get());
        }
      }
      System.out.printf(Locale.ROOT, "replay: %d events recovered in %.2f s (%.0f events/s)%n", total, replayS,
          total / replayS);
      result.append(String.format(Locale.ROOT, " replay_events_per_s=%.0f", total / replayS));
    } finally {
      terminate(reader);
    }
  }

  private static CompletionStage<Reply> ask(ActorSystem<?> system, ActorRef<NodeCommand> node,
      org.apache.pekko.japi.function.Function<ActorRef<Reply>, NodeCommand> command) {
    return AskPattern.ask(node, command, ASK, system.scheduler());
  }

  private static void terminate(ActorSystem<?> system) throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** The Authorization header for the control plane's own token file, as a client on its machine sends. */
  static String bearer(io.caspian.control.ControlPlane control) {
    return "Bearer " + io.caspian.control.rest.auth.TokenFile.read(control.restAuth().tokenFile().orElseThrow())
        .get(0);
  }

  /** Blocking JSON calls with the control plane's token; a non-2xx answer is an exception carrying the API's message. */
  private static final class Rest {
    private final String base;
    private final String authorization;
    private final HttpClient http = HttpClient.newHttpClient();

    Rest(String base, String authorization) {
      this.base = base;
      this.authorization = authorization;
    }

    JsonNode call(String method, String path) throws IOException, InterruptedException {
      return call(method, path, null);
    }

    JsonNode call(String method, String path, String body) throws IOException, InterruptedException {
      HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(ASK)
          .header("Content-Type", "application/json").header("Authorization", authorization)
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body)).build();
      HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
      if (resp.statusCode() / 100 != 2) {
        throw new IOException(method + " " + path + ": HTTP " + resp.statusCode() + " " + resp.body());
      }
      return resp.body().isBlank() ? JSON.nullNode() : JSON.readTree(resp.body());
    }
  }
}
