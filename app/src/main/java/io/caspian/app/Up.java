package io.caspian.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.caspian.control.ControlPlane;
import io.caspian.control.rest.auth.TokenFile;
import io.caspian.datanode.DiskAllowList;
import io.caspian.kafka.KafkaBroker;
import io.caspian.projections.Projections;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.Props;

/**
 * {@code caspian up}: the whole system in one JVM. The control plane (H2 journal under the data directory unless
 * told otherwise) plus N io-engines, each with one file-backed pool under the data directory: created through the
 * REST API on first start, re-imported by its io-engine on later starts. Unless {@code --kafka} names a cluster, a
 * single-node Kafka broker for the io bus runs in a child JVM with its data under {@code <data-dir>/kafka}; it
 * exits when this JVM does, however that ends.
 */
final class Up {
    static final int DEFAULT_REST_PORT = 8080;
    /**
     * Those of control but HTTPS, which is for a control plane others reach: {@code up} serves the machine it runs
     * on, and its own client (creating the pools) speaks plain HTTP to it.
     */
    static final Set<String> FLAGS = RoleConfig.union(RoleConfig.union(RoleConfig.COMMON, RoleConfig.CONTROL),
            Set.of("io-engines", "pool-size-mb", "nbd-port", "nvmf-port", "metrics-io", "child-io-timeout",
                    "disk-allow"))
            .stream().filter(flag -> !flag.startsWith("tls-")).collect(java.util.stream.Collectors.toUnmodifiableSet());
    private static final Duration NODES_TIMEOUT = Duration.ofSeconds(60);
    /**
     * How long {@code up} lets a faulted child come back before replacing its replica. Long enough for the
     * io-engine to bring back a child that failed a few I/Os (a partial rebuild takes seconds on these pools), short
     * enough that a demo sees the replacement within a minute; {@code --faulted-child-wait 0s} replaces at once.
     */
    static final String DEFAULT_FAULTED_CHILD_WAIT = "30s";

    private Up() {
    }

    /**
     * What {@code up} started; {@link #close()} stops it.
     *
     * @param broker the Kafka broker {@code up} started, null when {@code --kafka} named a cluster or turned it off
     * @param kafka  the bus's bootstrap servers, empty for no bus
     * @param metrics the JVM's /metrics, null when {@code --metrics-port 0} turned it off
     */
    record Running(ControlPlane control, String api, List<IoEngineOptions> engines, KafkaBroker broker, String kafka,
                   MetricsEndpoint metrics) implements AutoCloseable {
        @Override
        public void close() {
            try {
                control.close();
            } finally {
                try {
                    if (broker != null) {
                        broker.close();
                    }
                } finally {
                    if (metrics != null) {
                        metrics.close();
                    }
                }
            }
        }
    }

    static void run(Flags f) {
        if (!f.positional().isEmpty()) {
            throw new UsageException("up takes no arguments, got " + f.positional());
        }
        Running r = start(f);
        Runtime.getRuntime().addShutdownHook(new Thread(r::close, "caspian-up-stop"));
        printWelcome(r);
        r.control().system().getWhenTerminated().toCompletableFuture().join();
    }

    static Running start(Flags f) {
        int engines = f.integer("io-engines", 3, 1, 64);
        int poolMb = f.integer("pool-size-mb", 1024, 16, 1 << 22);
        int nbdBase = f.integer("nbd-port", 10809, 1, 65535 - engines);
        int nvmfBase = f.integer("nvmf-port", 4420, 1, 65535 - engines);
        Path dataDir = Path.of(f.get("data-dir", "data")).toAbsolutePath();
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UsageException("--data-dir " + dataDir + ": cannot create it: " + e.getMessage());
        }
        Flags.HostPort rest = Flags.hostPort("rest", f.get("rest", "127.0.0.1:" + DEFAULT_REST_PORT));
        if (rest.port() != 0 && !free(rest)) {
            System.err.println("caspian up: " + rest + " is in use; the REST API takes a free port instead (see below)");
            rest = new Flags.HostPort(rest.host(), 0);
        }
        Config roles = RoleConfig.build(f, List.of(ControlPlane.ROLE, IoEngineRole.ROLE));
        int metricsPort = f.integer("metrics-port", MetricsEndpoint.DEFAULT_PORT, 0, 65535);
        // One endpoint for the whole JVM: the control plane's metrics and every io-engine's, told apart by "node".
        MetricsEndpoint metrics = metricsPort == 0 ? null : MetricsEndpoint.start(rest.host(), metricsPort, true);
        if (metrics != null && metrics.port() != metricsPort) {
            System.err.println("caspian up: port " + metricsPort + " is in use; /metrics takes a free port instead "
                    + "(see below)");
        }
        java.util.Optional<String> external = RoleConfig.kafka(f);
        if (f.has("kafka-client-config") && (external.isEmpty() || external.get().isEmpty())) {
            throw new UsageException("--kafka-client-config is for the Kafka cluster --kafka names; the broker up "
                    + "starts itself takes plaintext clients");
        }
        KafkaBroker broker;
        try {
            broker = external.isPresent() ? null : startBroker(dataDir.resolve("kafka"));
        } catch (RuntimeException e) {
            if (metrics != null) {
                metrics.close();
            }
            throw e;
        }
        String kafka = broker != null ? broker.bootstrapServers() : external.get();
        ControlPlane control;
        Config config;
        try {
            config = ConfigFactory.parseMap(Map.of(
                    "caspian.data-dir", dataDir.toString(),
                    "caspian.control.rest.host", rest.host(),
                    "caspian.control.rest.port", rest.port(),
                    "caspian.control.bus.bootstrap-servers", kafka,
                    "caspian.io-engine.kafka", kafka,
                    "caspian.projections.kafka.bootstrap-servers", kafka,
                    "caspian.control.faulted-child-wait", Durations.parse("faulted-child-wait",
                            f.get("faulted-child-wait", DEFAULT_FAULTED_CHILD_WAIT)).toMillis() + "ms",
                    "pekko.remote.artery.canonical.port", f.integer("port", 0, 0, 65535)))
                    .withFallback(roles);
            PrometheusRegistry registry = MetricsEndpoint.registryOf(metrics);
            control = ControlPlane.start(config, List.of(Projections.extension(registry)), registry);
        } catch (RuntimeException e) {
            if (broker != null) {
                broker.close();
            }
            if (metrics != null) {
                metrics.close();
            }
            throw e;
        }
        String api = "http://" + rest.host() + ":" + control.restPort();
        try {
            List<IoEngineOptions> started = new ArrayList<>();
            IoEngineOptions base = IoEngineOptions.fromConfig(config);
            for (int i = 1; i <= engines; i++) {
                Path nodeDir = dataDir.resolve("node-" + i);
                Files.createDirectories(nodeDir);
                Path poolFile = nodeDir.resolve("pool-" + i + ".img");
                String disk = poolDisk(poolFile, poolMb);
                IoEngineOptions o = new IoEngineOptions("node-" + i, nodeDir, base.listenHost(), nbdBase + i - 1,
                        nvmfBase + i - 1, base.labels(), Files.exists(poolFile) ? List.of(disk) : List.of(), kafka,
                        base.kafkaSecurity(), base.metricsIo(), diskAllow(base.diskAllow(), poolFile));
                control.system().systemActorOf(DataNodes.behavior(o, metrics == null ? null : metrics.ioEngines()),
                        "data-node-" + i, Props.empty());
                started.add(o);
            }
            Optional<CliToken.Found> token = control.restAuth().tokenFile().map(t -> new CliToken.Found(
                    TokenFile.read(t).get(0), t.toString()));
            createMissingPools(new RestClient(api, Duration.ofSeconds(30), token, "the control plane's own token file",
                    Optional.empty()), started, poolMb);
            return new Running(control, api, started, broker, kafka, metrics);
        } catch (IOException | RuntimeException e) {
            new Running(control, api, List.of(), broker, kafka, metrics).close();
            throw new IllegalStateException("caspian up failed: " + e.getMessage(), e);
        }
    }

    private static KafkaBroker startBroker(Path dir) {
        System.err.println("caspian up: starting a Kafka broker in " + dir + " (--kafka host:port uses a running one)");
        try {
            return KafkaBroker.start(dir);
        } catch (RuntimeException e) {
            throw new IllegalStateException("the Kafka broker in " + dir + " did not start: " + e.getMessage()
                    + " (--kafka host:port uses a running cluster, --kafka off runs without the bus)", e);
        }
    }

    /**
     * An io-engine's allow list: empty (the defaults, its data directory holding its pool), or {@code --disk-allow}
     * and its own pool file, so that a narrower list never locks {@code up} out of the pools it made.
     */
    static List<String> diskAllow(List<String> flags, Path poolFile) {
        if (flags.isEmpty()) {
            return List.of();
        }
        List<String> l = new ArrayList<>(flags);
        l.add(DiskAllowList.exactly(poolFile));
        return l;
    }

    static String poolDisk(Path file, int mb) {
        return "file://" + file.toAbsolutePath() + "?size_mb=" + mb;
    }

    /** Waits for every io-engine to register, then creates the pools the control plane does not know yet. */
    private static void createMissingPools(RestClient api, List<IoEngineOptions> engines, int poolMb) {
        long deadline = System.nanoTime() + NODES_TIMEOUT.toNanos();
        Set<String> online = new HashSet<>();
        while (online.size() < engines.size()) {
            online.clear();
            for (JsonNode n : api.get("/v0/nodes")) {
                if ("Online".equals(n.path("status").asText())) {
                    online.add(n.path("id").asText());
                }
            }
            if (online.size() >= engines.size()) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + online + " of " + engines.size() + " io-engines registered "
                        + "within " + NODES_TIMEOUT.toSeconds() + " s");
            }
            sleep(200);
        }
        Set<String> pools = new HashSet<>();
        api.get("/v0/pools").forEach(p -> pools.add(p.path("id").asText()));
        for (int i = 1; i <= engines.size(); i++) {
            IoEngineOptions o = engines.get(i - 1);
            String pool = "pool-" + i;
            if (!pools.contains(pool)) {
                var body = RestClient.JSON.createObjectNode();
                body.putArray("disks").add(poolDisk(o.dataDir().resolve(pool + ".img"), poolMb));
                api.put("/v0/nodes/" + o.nodeId() + "/pools/" + pool, body);
            }
        }
    }

    private static void printWelcome(Running r) {
        Optional<Path> token = r.control().restAuth().tokenFile();
        // The CLI finds ./data/rest-token by itself; a token anywhere else needs naming.
        boolean found = token.map(t -> t.equals(Path.of("data", "rest-token").toAbsolutePath())).orElse(true);
        String apiFlag = (r.api().equals(Cli.DEFAULT_API) ? "" : " --api " + r.api())
                + (found ? "" : " --token-file " + token.orElseThrow());
        System.out.println();
        System.out.println("Caspian is up: control plane + " + r.engines().size() + " io-engines in this JVM.");
        System.out.println("  REST API      " + r.api() + "/v0  (OpenAPI: " + r.api() + "/v0/api-spec)");
        System.out.println("  token         " + token.map(t -> t + "  (every request but /v0/health sends it: "
                + "\"Authorization: Bearer $(cat " + t + ")\"; the CLI reads it from $CASPIAN_TOKEN, --token-file, "
                + "~/.config/caspian/token or ./data/rest-token)").orElse("none: --auth none, anyone who reaches "
                + "the port may change everything"));
        System.out.println("  Kafka         " + kafkaLine(r));
        System.out.println("  metrics       " + MetricsEndpoint.describe(r.metrics()) + "  (Prometheus; every node's, "
                + "label node)");
        System.out.println("  faults        a faulted child gets " + r.control().system().settings().config()
                .getDuration("caspian.control.faulted-child-wait").toMillis() / 1000.0
                + " s to come back before its replica is replaced");
        for (IoEngineOptions o : r.engines()) {
            System.out.println("  " + o.nodeId() + "        NBD " + o.listenHost() + ":" + o.nbdPort()
                    + ", NVMe/TCP " + o.listenHost() + ":" + o.nvmfPort() + ", data " + o.dataDir());
        }
        System.out.println();
        System.out.println("Try, in another shell:");
        System.out.println("  ./caspian get nodes" + apiFlag);
        System.out.println("  ./caspian get pools" + apiFlag);
        System.out.println("  ./caspian create volume --size 64MiB --replicas 3 --thin" + apiFlag);
        System.out.println("  ./caspian publish volume <uuid> --protocol nbd" + apiFlag);
        System.out.println("  qemu-io -f raw -c 'write -P 0x5a 0 1M' <device uri>");
        System.out.println("Stop with Ctrl-C; state (journal, pools) stays under " + r.control().system().settings()
                .config().getString("caspian.data-dir") + ".");
    }

    static String kafkaLine(Running r) {
        if (r.kafka().isEmpty()) {
            return "off (no io bus: faults are noticed from the io-engines' state reports only)";
        }
        return r.kafka() + (r.broker() != null ? "  (broker in this JVM's child process, data " + r.broker().dataDir()
                + ")" : "  (external cluster)");
    }

    private static boolean free(Flags.HostPort hp) {
        try (ServerSocket s = new ServerSocket(hp.port(), 1, InetAddress.getByName(hp.host()))) {
            s.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
