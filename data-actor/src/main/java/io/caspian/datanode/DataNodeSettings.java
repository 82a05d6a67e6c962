package io.caspian.datanode;

import io.caspian.kafka.KafkaClientSecurity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How one io-engine runs.
 *
 * @param nodeId the node's name in the cluster, reported with every state report
 * @param dataDir where the node keeps its pool registry; must survive restarts
 * @param labels topology labels reported to the control plane (zone, rack, ...)
 * @param nvmfHost address the NVMe/TCP target listens on; also the host of the URIs it reports
 *     (a wildcard address is reported as this machine's address)
 * @param nvmfPort NVMe/TCP port, 0 for an ephemeral one (reported in share URIs)
 * @param nbdHost address the NBD server listens on
 * @param nbdPort NBD port, 0 for an ephemeral one (reported in device URIs)
 * @param importDisks disk URIs to import at start besides those in the registry
 * @param kafkaBootstrap Kafka's host:port list for the io bus; empty for no bus
 * @param kafkaSecurity how the bus publisher authenticates to Kafka and encrypts
 * @param errorCountsInterval how often each nexus publishes its children's error counts to the bus
 * @param ioMetrics whether nexuses and replicas count their reads and writes for the metrics
 *     ({@code volume_*}, {@code replica_*}, {@code diskpool_*} I/O figures); off saves their cost
 *     per I/O and leaves those figures at 0
 * @param diskAllow the {@link DiskAllowList} patterns of the disks a pool may be created on or
 *     imported from; by default {@link DiskAllowList#defaults the data directory and more}
 */
public record DataNodeSettings(String nodeId, Path dataDir, Map<String, String> labels,
    String nvmfHost, int nvmfPort, String nbdHost, int nbdPort, List<String> importDisks,
    String kafkaBootstrap, KafkaClientSecurity kafkaSecurity, Duration errorCountsInterval,
    boolean ioMetrics, List<String> diskAllow) {

  public static final Duration DEFAULT_ERROR_COUNTS_INTERVAL = Duration.ofSeconds(10);

  /** A node without the Kafka bus. */
  public DataNodeSettings(String nodeId, Path dataDir, Map<String, String> labels,
      String nvmfHost, int nvmfPort, String nbdHost, int nbdPort, List<String> importDisks) {
    this(nodeId, dataDir, labels, nvmfHost, nvmfPort, nbdHost, nbdPort, importDisks, "",
        KafkaClientSecurity.NONE, DEFAULT_ERROR_COUNTS_INTERVAL, true,
        DiskAllowList.defaults(dataDir));
  }

  public DataNodeSettings {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(dataDir, "dataDir");
    if (nodeId.isBlank()) {
      throw new IllegalArgumentException("node id must not be blank");
    }
    checkPort("NVMe/TCP", nvmfPort);
    checkPort("NBD", nbdPort);
    labels = Map.copyOf(labels);
    importDisks = List.copyOf(importDisks);
    nvmfHost = Objects.requireNonNull(nvmfHost, "nvmfHost");
    nbdHost = Objects.requireNonNull(nbdHost, "nbdHost");
    kafkaBootstrap = Objects.requireNonNull(kafkaBootstrap, "kafkaBootstrap").strip();
    Objects.requireNonNull(kafkaSecurity, "kafkaSecurity");
    if (errorCountsInterval == null || errorCountsInterval.isNegative()
        || errorCountsInterval.isZero()) {
      throw new IllegalArgumentException("error counts interval must be positive, not "
          + errorCountsInterval);
    }
    diskAllow = DiskAllowList.of(diskAllow).patterns();
  }

  /** A node that listens on 127.0.0.1 on ephemeral ports, with no labels. */
  public static DataNodeSettings local(String nodeId, Path dataDir) {
    return new DataNodeSettings(nodeId, dataDir, Map.of(), "127.0.0.1", 0, "127.0.0.1", 0,
        List.of());
  }

  public DataNodeSettings withLabels(Map<String, String> l) {
    return new DataNodeSettings(nodeId, dataDir, l, nvmfHost, nvmfPort, nbdHost, nbdPort,
        importDisks, kafkaBootstrap, kafkaSecurity, errorCountsInterval, ioMetrics, diskAllow);
  }

  public DataNodeSettings withNvmf(String host, int port) {
    return new DataNodeSettings(nodeId, dataDir, labels, host, port, nbdHost, nbdPort, importDisks,
        kafkaBootstrap, kafkaSecurity, errorCountsInterval, ioMetrics, diskAllow);
  }

  public DataNodeSettings withNbd(String host, int port) {
    return new DataNodeSettings(nodeId, dataDir, labels, nvmfHost, nvmfPort, host, port,
        importDisks, kafkaBootstrap, kafkaSecurity, errorCountsInterval, ioMetrics, diskAllow);
  }

  public DataNodeSettings withImportDisks(List<String> disks) {
    return new DataNodeSettings(nodeId, dataDir, labels, nvmfHost, nvmfPort, nbdHost, nbdPort,
        disks, kafkaBootstrap, kafkaSecurity, errorCountsInterval, ioMetrics, diskAllow);
  }

  /**
   * Publishes every nexus's events to Kafka at {@code bootstrapServers} (empty for none), its
   * children's error counts every {@code errorCounts}. I/O never waits for Kafka.
   */
  public DataNodeSettings withKafka(String bootstrapServers, Duration errorCounts) {
    return new DataNodeSettings(nodeId, dataDir, labels, nvmfHost, nvmfPort, nbdHost, nbdPort,
        importDisks, bootstrapServers, kafkaSecurity, errorCounts, ioMetrics, diskAllow);
  }

  /** Authenticates the bus publisher to Kafka, and encrypts, as {@code s} says. */
  public DataNodeSettings withKafkaSecurity(KafkaClientSecurity s) {
    return new DataNodeSettings(nodeId, dataDir, labels, nvmfHost, nvmfPort, nbdHost, nbdPort,
        importDisks, kafkaBootstrap, s, errorCountsInterval, ioMetrics, diskAllow);
  }

  /** Counts every read and write for the metrics ({@code on}, the default) or none. */
  public DataNodeSettings withIoMetrics(boolean on) {
    return new DataNodeSettings(nodeId, dataDir, labels, nvmfHost, nvmfPort, nbdHost, nbdPort,
        importDisks, kafkaBootstrap, kafkaSecurity, errorCountsInterval, on, diskAllow);
  }

  /**
   * Lets pools be created on and imported from only the disks {@code patterns} allow, in place of
   * the defaults (see {@link DiskAllowList}).
   */
  public DataNodeSettings withDiskAllow(List<String> patterns) {
    return new DataNodeSettings(nodeId, dataDir, labels, nvmfHost, nvmfPort, nbdHost, nbdPort,
        importDisks, kafkaBootstrap, kafkaSecurity, errorCountsInterval, ioMetrics, patterns);
  }

  private static void checkPort(String what, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(what + " port must be 0..65535, not " + port);
    }
  }
}
