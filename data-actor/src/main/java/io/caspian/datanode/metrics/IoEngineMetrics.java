package io.caspian.datanode.metrics;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.IoStats;
import io.caspian.bdev.IoType;
import io.caspian.datanode.bus.PublisherStats;
import io.caspian.events.Health;
import io.caspian.nbd.NbdExportStats;
import io.caspian.nexus.ChildInfo;
import io.caspian.nexus.ChildState;
import io.caspian.nexus.Nexus;
import io.caspian.nvmf.target.SubsystemStats;
import io.caspian.pool.Pool;
import io.caspian.pool.PoolStats;
import io.caspian.pool.Replica;
import io.caspian.rebuild.RebuildStats;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToLongFunction;

/**
 * The metrics of every io-engine in this JVM (one, or three under {@code caspian up}), read from
 * their live pools and nexuses on each scrape; register it once per registry.
 *
 * <p>Names and labels are Mayastor's. The volume counters are cumulative but typed gauge: the
 * client library exposes a counter as {@code <name>_total}, and the names dashboards query have no
 * such suffix; {@code rate()} works on them all the same.
 */
public final class IoEngineMetrics implements MultiCollector {

  /** {@code diskpool_status} and {@code nexus_child_state}: Mayastor's numbering. */
  public static final int UNKNOWN = 0;
  public static final int ONLINE = 1;
  public static final int DEGRADED = 2;
  public static final int FAULTED = 3;

  private final List<NodeObjects> nodes = new CopyOnWriteArrayList<>();

  /** Adds a node's objects to what is scraped; its DataNode calls this when it starts. */
  public void add(NodeObjects node) {
    nodes.add(node);
  }

  /** When the node stops: its pools and volumes leave the scrape. */
  public void remove(NodeObjects node) {
    nodes.remove(node);
  }

  @Override
  public MetricSnapshots collect() {
    Family total = new Family("diskpool_total_size_bytes", "Total size of the pool in bytes");
    Family used = new Family("diskpool_used_size_bytes", "Used size of the pool in bytes");
    Family committed = new Family("diskpool_committed_size_bytes",
        "Committed size of the pool in bytes: the sum of its replicas' sizes");
    Family status = new Family("diskpool_status",
        "Status of the pool: 0 Unknown, 1 Online, 2 Degraded, 3 Faulted");
    IoFamilies poolIo = new IoFamilies("diskpool",
        "Pool I/O (its replicas' reads and writes, of those destroyed too), cumulative since the pool was opened");
    IoFamilies volumes = new IoFamilies("volume",
        "Volume (nexus) front-end I/O, cumulative since the nexus was created");
    IoFamilies replicas = new IoFamilies("replica",
        "Replica I/O (a local nexus, its NVMe/TCP target, rebuilds), cumulative since the pool was opened");
    Family childState = new Family("nexus_child_state",
        "State of each child of a volume's nexus: 0 Unknown, 1 Online, 2 Degraded, 3 Faulted");
    Family errors = new Family("nexus_child_errors",
        "I/O errors of a nexus child by op within the error window (what the fault threshold sees)");
    Family errorsSince = new Family("nexus_child_errors_since_online",
        "I/O errors of a nexus child since it was last brought online");
    Family rebuilding = new Family("nexus_child_rebuilding",
        "1 while a rebuild copies onto the child, else 0");
    Family rebuildDone = new Family("nexus_rebuild_bytes_done",
        "Bytes a running rebuild has copied (or found unallocated) so far");
    Family rebuildTotal = new Family("nexus_rebuild_bytes_to_copy",
        "Bytes a running rebuild has to copy (a partial rebuild: the dirty segments only)");
    Family rebuildRate = new Family("nexus_rebuild_bytes_per_second",
        "Average copy rate of a running rebuild since it started");
    Family busQueued = new Family("bus_publisher_queued",
        "Events waiting for the bus publisher's sender (Kafka away or slow)");
    Family busInFlight = new Family("bus_publisher_in_flight",
        "Records handed to the Kafka producer and not yet acknowledged");
    Family busDelivered = new Family("bus_publisher_delivered",
        "Records the broker acknowledged, cumulative");
    Family busDropped = new Family("bus_publisher_dropped",
        "Error counts dropped because the error-count buffer was full, cumulative");
    Family nvmfConnections = new Family("caspian_nvmf_connections",
        "NVMe/TCP connections (admin and I/O queues of hosts' controllers) to a subsystem");
    Family nvmfQueueDepth = new Family("caspian_nvmf_queue_depth",
        "NVMe/TCP I/O commands received and not yet answered, over a subsystem's queues");
    Family nbdConnections = new Family("caspian_nbd_connections",
        "NBD clients in transmission on an export");
    Family nbdQueueDepth = new Family("caspian_nbd_queue_depth",
        "NBD requests received and not yet answered, over an export's connections");
    for (NodeObjects node : nodes) {
      for (LivePool p : node.pools()) {
        Labels l = Labels.of("node", node.node(), "name", p.name());
        Pool pool = p.pool();
        // Unknown while the actor opens the pool; its actor says Faulted when it could not.
        status.add(l, number(p.health()));
        if (pool != null) {
          PoolStats s = pool.stats();
          long sum = 0;
          for (Replica r : pool.replicas()) {
            sum += r.size();
          }
          total.add(l, s.capacity());
          used.add(l, s.used());
          committed.add(l, sum);
          poolIo.add(l, pool.ioStats());
          for (Replica r : pool.replicas()) {
            replicas.add(Labels.of("node", node.node(), "name", r.uuid().toString(), "pool_name",
                p.name(), "pool_uuid", pool.uuid().toString()), r.ioStats());
          }
        }
      }
      for (Nexus n : node.nexuses()) {
        Labels l = Labels.of("node", node.node(), "pv_name", n.uuid());
        volumes.add(l, n.ioStats());
        for (ChildInfo c : n.children()) {
          Labels child = l.add("child", c.uri());
          childState.add(child, number(c.state()));
          for (IoType op : IoType.values()) {
            errors.add(child.add("op", op.name().toLowerCase()),
                c.errors().inWindow().getOrDefault(op, 0));
          }
          errorsSince.add(child, c.errors().total());
          rebuilding.add(child, c.rebuilding() ? 1 : 0);
          if (c.rebuilding()) {
            rebuild(n, c.uri(), child, rebuildDone, rebuildTotal, rebuildRate);
          }
        }
      }
      node.nvmf().ifPresent(t -> {
        for (SubsystemStats s : t.subsystemStats()) {
          Labels l = Labels.of("node", node.node(), "nqn", s.nqn());
          nvmfConnections.add(l, s.connections());
          nvmfQueueDepth.add(l, s.inFlight());
        }
      });
      node.nbd().ifPresent(t -> {
        for (NbdExportStats s : t.exportStats()) {
          Labels l = Labels.of("node", node.node(), "export", s.name());
          nbdConnections.add(l, s.connections());
          nbdQueueDepth.add(l, s.inFlight());
        }
      });
      node.bus().ifPresent(b -> {
        PublisherStats p = b.stats();
        Labels l = Labels.of("node", node.node());
        busQueued.add(l, p.queued());
        busInFlight.add(l, p.inFlight());
        busDelivered.add(l, p.delivered());
        busDropped.add(l, p.dropped());
      });
    }
    List<MetricSnapshot> out = new ArrayList<>();
    for (Family f : List.of(total, used, committed, status)) {
      out.add(f.build());
    }
    poolIo.addTo(out);
    volumes.addTo(out);
    replicas.addTo(out);
    for (Family f : List.of(childState, errors, errorsSince, rebuilding, rebuildDone, rebuildTotal,
        rebuildRate, busQueued, busInFlight, busDelivered, busDropped, nvmfConnections,
        nvmfQueueDepth, nbdConnections, nbdQueueDepth)) {
      out.add(f.build());
    }
    return new MetricSnapshots(out);
  }

  private static void rebuild(Nexus n, String child, Labels l, Family done, Family total,
      Family rate) {
    try {
      RebuildStats r = n.rebuildStats(child);
      done.add(l, (double) r.blocksRecovered() * n.blockSize());
      total.add(l, (double) r.blocksTotal() * n.blockSize());
      rate.add(l, r.bytesPerSecond());
    } catch (BdevException finished) {
      // the job ended between listing the children and asking: nothing runs to report
    }
  }

  static int number(Health h) {
    return switch (h) {
      case ONLINE -> ONLINE;
      case DEGRADED -> DEGRADED;
      case FAULTED -> FAULTED;
      default -> UNKNOWN;
    };
  }

  static int number(ChildState s) {
    if (s.isOnline()) {
      return ONLINE;
    }
    return s instanceof ChildState.Degraded ? DEGRADED : FAULTED;
  }

  /** Mayastor's six I/O figures of one kind of device, {@code <prefix>_bytes_read} and so on. */
  private static final class IoFamilies {
    private static final Map<String, ToLongFunction<IoStats>> FIGURES = new LinkedHashMap<>();

    static {
      FIGURES.put("bytes_read", IoStats::bytesRead);
      FIGURES.put("bytes_written", IoStats::bytesWritten);
      FIGURES.put("num_read_ops", IoStats::readOps);
      FIGURES.put("num_write_ops", IoStats::writeOps);
      FIGURES.put("read_latency_us", IoStats::readLatencyUs);
      FIGURES.put("write_latency_us", IoStats::writeLatencyUs);
    }

    private final List<Family> families = new ArrayList<>();

    IoFamilies(String prefix, String help) {
      FIGURES.keySet().forEach(f -> families.add(new Family(prefix + "_" + f,
          help + ": " + f.replace("num_", "").replace('_', ' '))));
    }

    void add(Labels l, IoStats s) {
      int i = 0;
      for (ToLongFunction<IoStats> f : FIGURES.values()) {
        families.get(i++).add(l, f.applyAsLong(s));
      }
    }

    void addTo(List<MetricSnapshot> out) {
      families.forEach(f -> out.add(f.build()));
    }
  }

  /** One metric family being filled during a scrape. */
  private static final class Family {
    private final GaugeSnapshot.Builder builder;

    Family(String name, String help) {
      builder = GaugeSnapshot.builder().name(name).help(help);
    }

    void add(Labels labels, double value) {
      builder.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(value).build());
    }

    GaugeSnapshot build() {
      return builder.build();
    }
  }
}
