package io.caspian.kafka;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A single-node KRaft Kafka broker (broker and controller in one process) bound to 127.0.0.1, run from the Kafka
 * jars in a JVM of its own. Its data directory keeps {@code server.properties} (with the ports chosen on first
 * start), the formatted log directory and the broker's output, so a later start on the same directory, in this
 * process or another, finds the same cluster at the same address.
 */
public final class KafkaBroker implements AutoCloseable {

  /**
   * How to run the broker.
   *
   * @param dataDir where its configuration, logs and output live; created if missing
   * @param port client port; 0 picks a free one on first start (later starts reuse the recorded one)
   * @param controllerPort KRaft controller port; 0 picks a free one likewise
   * @param maxHeap the broker JVM's -Xmx, e.g. "384m"
   * @param startTimeout how long start waits for the broker to answer clients
   * @param stopTimeout how long stop waits for a controlled shutdown before killing the process
   * @param plainUsers empty: the client listener is PLAINTEXT without authentication; else it is SASL_PLAINTEXT
   *     with mechanism PLAIN and these users and passwords, the first (by name) being the broker's own; fixed on
   *     the data directory's first start, like the ports
   */
  public record Options(Path dataDir, int port, int controllerPort, String maxHeap, Duration startTimeout,
      Duration stopTimeout, Map<String, String> plainUsers) {

    public Options {
      plainUsers = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(plainUsers));
      if (dataDir == null) {
        throw new IllegalArgumentException("Kafka broker data directory must be given");
      }
      if (port < 0 || port > 65535 || controllerPort < 0 || controllerPort > 65535) {
        throw new IllegalArgumentException("Kafka broker ports must be 0..65535, not " + port + "/" + controllerPort);
      }
      if (port != 0 && port == controllerPort) {
        throw new IllegalArgumentException("Kafka client and controller ports must differ, both are " + port);
      }
    }

    public static Options in(Path dataDir) {
      return new Options(dataDir, 0, 0, "384m", Duration.ofSeconds(60), Duration.ofSeconds(30), Map.of());
    }

    public Options withPort(int p) {
      return new Options(dataDir, p, controllerPort, maxHeap, startTimeout, stopTimeout, plainUsers);
    }

    /** Clients must authenticate with SASL PLAIN as one of {@code users} (name to password). */
    public Options withSaslPlain(Map<String, String> users) {
      if (users.isEmpty()) {
        throw new IllegalArgumentException("SASL PLAIN needs at least one user");
      }
      return new Options(dataDir, port, controllerPort, maxHeap, startTimeout, stopTimeout, users);
    }
  }

  private static final String SERVER_PROPERTIES = "server.properties";

  private final Options options;
  private final Path config;
  private final int port;
  private final String clusterId;
  private Process process;
  private Thread reaper;

  private KafkaBroker(Options options, Path config, int port, String clusterId) {
    this.options = options;
    this.config = config;
    this.port = port;
    this.clusterId = clusterId;
  }

  /** Starts a broker in {@code dataDir}, formatting its storage on first start; returns once it serves clients. */
  public static KafkaBroker start(Path dataDir) {
    return start(Options.in(dataDir));
  }

  public static KafkaBroker start(Options o) {
    try {
      Path dir = o.dataDir().toAbsolutePath();
      Files.createDirectories(dir);
      Path config = dir.resolve(SERVER_PROPERTIES);
      if (!Files.exists(config)) {
        writeConfig(dir, config, o);
      }
      Properties p = load(config);
      int port = Integer.parseInt(p.getProperty("listeners").replaceAll(".*PLAINTEXT://[^:]+:(\\d+).*", "$1"));
      if (o.port() != 0 && o.port() != port) {
        throw new IllegalStateException("Kafka data directory " + dir + " was made for port " + port
            + ", not " + o.port() + "; use another directory or port 0");
      }
      String clusterId = formatIfNeeded(dir, config, Path.of(p.getProperty("log.dirs")));
      KafkaBroker b = new KafkaBroker(o, config, port, clusterId);
      b.launch();
      return b;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start Kafka broker in " + o.dataDir(), e);
    }
  }

  /** What a client needs to authenticate as {@code user} to a broker started with {@link Options#plainUsers}. */
  public static KafkaClientSecurity plainLogin(String user, String password) {
    return new KafkaClientSecurity(Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
        "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
            + user + "\" password=\"" + password + "\";"));
  }

  /** {@code 127.0.0.1:port}, for the clients' bootstrap.servers. */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public String clusterId() {
    return clusterId;
  }

  public Path dataDir() {
    return options.dataDir().toAbsolutePath();
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Starts the broker again after {@link #stop} or {@link #kill}, on the same data and address. */
  public synchronized void restart() {
    stop();
    launch();
  }

  /** Controlled shutdown (SIGTERM), killing the process if it takes longer than the stop timeout. */
  public synchronized void stop() {
    end(false);
  }

  /** Kills the broker at once (SIGKILL), as a crash would. */
  public synchronized void kill() {
    end(true);
  }

  @Override
  public void close() {
    stop();
  }

  private synchronized void launch() {
    if (isRunning()) {
      return;
    }
    Path out = dataDir().resolve("broker.out");
    List<String> cmd = java(dataDir(), options.maxHeap());
    cmd.set(cmd.size() - 1, cmd.get(cmd.size() - 1) + File.pathSeparator + ownCodeSource());
    cmd.add(BrokerMain.class.getName());
    cmd.add(config.toString());
    try {
      process = new ProcessBuilder(cmd).directory(dataDir().toFile()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run java for the Kafka broker in " + dataDir(), e);
    }
    Process started = process;
    // A broker must not outlive the JVM that started it: on a normal exit this hook ends it; when this JVM is
    // killed, BrokerMain sees its standard input close.
    reaper = new Thread(started::destroyForcibly, "kafka-broker-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
    awaitReady(started, out);
  }

  private void end(boolean forcibly) {
    if (process == null) {
      return;
    }
    try {
      if (forcibly) {
        process.destroyForcibly();
      } else {
        process.destroy();
      }
      if (!process.waitFor(options.stopTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
      }
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(reaper);
      } catch (IllegalStateException ignored) {
        // already shutting down: the hook runs anyway
      }
      process = null;
    }
  }

  private void awaitReady(Process p, Path out) {
    long deadline = System.nanoTime() + options.startTimeout().toNanos();
    Properties props = ownCredentials().applyTo(new Properties());
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
    try (Admin admin = Admin.create(props)) {
      Exception last = null;
      while (System.nanoTime() < deadline) {
        if (!p.isAlive()) {
          throw new IllegalStateException("Kafka broker in " + dataDir() + " exited with " + p.exitValue()
              + " while starting; its output ends:\n" + tail(out));
        }
        try {
          if (!admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (Exception e) {
          last = e;
        }
        sleep(200);
      }
      p.destroyForcibly();
      throw new IllegalStateException("Kafka broker at " + bootstrapServers() + " did not answer within "
          + options.startTimeout() + " (" + last + "); its output ends:\n" + tail(out));
    }
  }

  /** The first SASL user's, which the broker uses for itself; none on a PLAINTEXT listener. */
  private KafkaClientSecurity ownCredentials() {
    if (options.plainUsers().isEmpty()) {
      return KafkaClientSecurity.NONE;
    }
    var own = options.plainUsers().entrySet().iterator().next();
    return plainLogin(own.getKey(), own.getValue());
  }

  private static void writeConfig(Path dir, Path config, Options o) throws IOException {
    int port = o.port() != 0 ? o.port() : freePort();
    int cport = o.controllerPort() != 0 ? o.controllerPort() : freePort();
    while (cport == port) {
      cport = freePort();
    }
    String client = o.plainUsers().isEmpty() ? "PLAINTEXT" : "SASL_PLAINTEXT";
    String text = String.join("\n",
        "# Written by Caspian's KafkaBroker on first start; the ports stay so that restarts find the same cluster.",
        "process.roles=broker,controller",
        "node.id=1",
        "listeners=" + client + "://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + cport,
        "advertised.listeners=" + client + "://127.0.0.1:" + port,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=" + client,
        "listener.security.protocol.map=" + client + ":" + client + ",CONTROLLER:PLAINTEXT",
        sasl(o.plainUsers()),
        "controller.quorum.bootstrap.servers=127.0.0.1:" + cport,
        "log.dirs=" + dir.resolve("logs"),
        // Topics are made by TopicAdmin with explicit partitions; a typo in a topic name must fail, not create one.
        "auto.create.topics.enable=false",
        "num.partitions=1",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=10",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        // The one controller appends a no-op record to the metadata log every 500 ms by default, so that other
        // voters and brokers can tell a live log from a stalled one; with a single voter in this process, 10 s is
        // ample, and each append costs a write, an fsync and the wake-ups around them (ADR idle-cost).
        "metadata.max.idle.interval.ms=10000",
        "");
    Files.writeString(config, text, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("log4j2.properties"), String.join("\n",
        "rootLogger.level=WARN",
        "rootLogger.appenderRef.out.ref=out",
        "appender.out.type=Console",
        "appender.out.name=out",
        "appender.out.layout.type=PatternLayout",
        "appender.out.layout.pattern=[%d] %p %m (%c)%n",
        ""), StandardCharsets.UTF_8);
  }

  /**
   * The SASL PLAIN settings of the client listener: its JAAS entry lists every user ({@code user_<name>}) and the
   * broker's own login (the first user), which it needs for its inter-broker connection to itself.
   */
  private static String sasl(Map<String, String> users) {
    if (users.isEmpty()) {
      return "# clients connect without authentication";
    }
    var own = users.entrySet().iterator().next();
    StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required")
        .append(" username=\"").append(own.getKey()).append("\" password=\"").append(own.getValue()).append('"');
    users.forEach((u, p) -> jaas.append(" user_").append(u).append("=\"").append(p).append('"'));
    return String.join("\n",
        "sasl.enabled.mechanisms=PLAIN",
        "sasl.mechanism.inter.broker.protocol=PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config=" + jaas + ";");
  }

  /** Formats the log directory unless it already is; returns the cluster id. */
  private static String formatIfNeeded(Path dir, Path config, Path logDir) throws IOException {
    Path meta = logDir.resolve("meta.properties");
    if (!Files.exists(meta)) {
      String id = Uuid.randomUuid().toString();
      List<String> cmd = java(dir, "256m");
      cmd.addAll(List.of("kafka.tools.StorageTool", "format", "--config", config.toString(),
          "--cluster-id", id, "--standalone"));
      Path out = dir.resolve("format.out");
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(out.toFile()).start();
      try {
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException("formatting Kafka storage in " + logDir + " took over 60 s");
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while formatting Kafka storage in " + logDir, e);
      }
      if (p.exitValue() != 0 || !Files.exists(meta)) {
        throw new IllegalStateException("formatting Kafka storage in " + logDir + " failed (exit " + p.exitValue()
            + "):\n" + tail(out));
      }
    }
    return load(meta).getProperty("cluster.id");
  }

  private static List<String> java(Path dir, String maxHeap) {
    String cp = BrokerClassPath.resolve().stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xms64m", "-Xmx" + maxHeap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true", "-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties"),
        "-cp", cp));
    return cmd;
  }

  /** Where BrokerMain's class is (a jar or a classes directory), to put it alone on the broker's class path. */
  private static String ownCodeSource() {
    try {
      return Path.of(BrokerMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException("cannot locate caspian-kafka's classes for the broker JVM", e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Properties load(Path file) throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    return p;
  }

  private static String tail(Path out) {
    try {
      List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no output: " + e.getMessage() + ")";
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the Kafka broker", e);
    }
  }

  @Override
  public String toString() {
    return "KafkaBroker[" + bootstrapServers() + ", " + dataDir() + "]";
  }
}
