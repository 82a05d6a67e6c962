package io.caspian.datanode.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.ErrorInjectionDevice;
import io.caspian.bdev.ForwardingDevice;
import io.caspian.bdev.Injection;
import io.caspian.bdev.IoCompletion;
import io.caspian.bdev.IoType;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import io.caspian.datanode.bus.BusPublisher;
import io.caspian.events.Health;
import io.caspian.nbd.NbdServer;
import io.caspian.nexus.Nexus;
import io.caspian.nexus.NexusOptions;
import io.caspian.nvmf.host.NvmfDevice;
import io.caspian.nvmf.target.NvmfTarget;
import io.caspian.pool.Pool;
import io.caspian.pool.PoolStats;
import io.caspian.pool.Replica;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A scrape shows the live pools and volumes of every registered node, under Mayastor's names. */
class IoEngineMetricsTest {

  private static final int CLUSTER = 64 << 10;

  private final IoEngineMetrics metrics = new IoEngineMetrics();
  private final NodeObjects node = new NodeObjects("node-1", null, null, null);

  @Test
  void poolGaugesAreThePoolsOwnFiguresAtScrapeTime() throws Exception {
    metrics.add(node);
    Pool pool = Pool.create(new MallocDevice("malloc:///p1", 16 << 20, 4096), "p1",
        UUID.randomUUID(), CLUSTER, false);
    try {
      Replica thin = pool.createReplica(UUID.randomUUID(), "thin", 8L * CLUSTER, true);
      pool.createReplica(UUID.randomUUID(), "thick", 4L * CLUSTER, false);
      LivePool live = new LivePool("p1");
      node.poolOpened(live);
      live.set(pool, Health.ONLINE);
      Labels p1 = Labels.of("node", "node-1", "name", "p1");
      assertEquals(4.0 * CLUSTER, value(metrics.collect(), "diskpool_used_size_bytes", p1));

      ByteBuffer buf = DirectMemory.allocate(2 * CLUSTER);
      SyncIo.write(thin, 0, buf, 0, 2 * CLUSTER);
      MetricSnapshots s = metrics.collect();
      PoolStats stats = pool.stats();
      assertEquals(6.0 * CLUSTER, value(s, "diskpool_used_size_bytes", p1),
          "read at the scrape: the thin replica's first write shows at once");
      assertEquals((double) stats.capacity(), value(s, "diskpool_total_size_bytes", p1));
      assertEquals(12.0 * CLUSTER, value(s, "diskpool_committed_size_bytes", p1),
          "committed counts thick replicas too, as the REST API does");
      assertEquals((double) IoEngineMetrics.ONLINE, value(s, "diskpool_status", p1));
      Labels r = Labels.of("node", "node-1", "name", thin.uuid().toString(), "pool_name", "p1",
          "pool_uuid", pool.uuid().toString());
      assertEquals(1.0, value(s, "replica_num_write_ops", r));
      assertEquals(2.0 * CLUSTER, value(s, "replica_bytes_written", r));
      assertEquals(0.0, value(s, "replica_num_read_ops", r));
      assertEquals(1.0, value(s, "diskpool_num_write_ops", p1), "the pool's are its replicas' I/Os");
      assertEquals(2.0 * CLUSTER, value(s, "diskpool_bytes_written", p1));

      live.set(pool, Health.DEGRADED);
      assertEquals((double) IoEngineMetrics.DEGRADED,
          value(metrics.collect(), "diskpool_status", p1));
      live.set(null, Health.FAULTED);
      s = metrics.collect();
      assertEquals((double) IoEngineMetrics.FAULTED, value(s, "diskpool_status", p1));
      assertNull(value(s, "diskpool_total_size_bytes", p1), "a pool not imported has no sizes");

      LivePool again = new LivePool("p1");
      node.poolOpened(again);
      node.poolClosed(live);
      assertEquals((double) IoEngineMetrics.UNKNOWN, value(metrics.collect(), "diskpool_status", p1),
          "a pool's old actor stopping late leaves its successor's entry");
      node.poolClosed(again);
      assertNull(value(metrics.collect(), "diskpool_status", p1));
    } finally {
      pool.export();
    }
  }

  @Test
  void volumeCountersAndChildStatesComeFromTheLiveNexus() throws Exception {
    metrics.add(node);
    String a = "malloc:///va?size_mb=4";
    String b = "malloc:///vb?size_mb=4";
    String uuid = UUID.randomUUID().toString();
    try (Nexus n = Nexus.create(uuid, 4 << 20, List.of(a, b), DeviceOpener.standard(),
        NexusOptions.defaults())) {
      node.nexusOpened(n);
      ByteBuffer buf = DirectMemory.allocate(4096);
      for (int i = 0; i < 3; i++) {
        SyncIo.write(n, i * 4096L, buf, 0, 4096);
      }
      SyncIo.read(n, 0, buf, 0, 4096);
      Labels v = Labels.of("node", "node-1", "pv_name", uuid);
      MetricSnapshots s = metrics.collect();
      assertEquals(3.0, value(s, "volume_num_write_ops", v));
      assertEquals(3.0 * 4096, value(s, "volume_bytes_written", v));
      assertEquals(1.0, value(s, "volume_num_read_ops", v));
      assertEquals(4096.0, value(s, "volume_bytes_read", v));
      assertTrue(value(s, "volume_write_latency_us", v) >= 0);
      assertTrue(value(s, "volume_read_latency_us", v) >= 0);
      assertEquals((double) IoEngineMetrics.ONLINE,
          value(s, "nexus_child_state", v.add("child", a)));

      n.faultChild(b);
      assertEquals((double) IoEngineMetrics.FAULTED, value(metrics.collect(), "nexus_child_state",
          v.add("child", b)));

      node.nexusClosed(n);
      assertNull(value(metrics.collect(), "volume_num_write_ops", v));
      node.nexusOpened(n);
      metrics.remove(node);
      assertNull(value(metrics.collect(), "volume_num_write_ops", v), "the node stopped");
    }
  }

  @Test
  void childErrorsByOpAndRebuildProgressComeFromTheLiveNexus() throws Exception {
    metrics.add(node);
    String uuid = UUID.randomUUID().toString();
    ErrorInjectionDevice a = new ErrorInjectionDevice(new MallocDevice("malloc:///ea", 4 << 20, 512));
    ErrorInjectionDevice b = new ErrorInjectionDevice(new MallocDevice("malloc:///eb", 4 << 20, 512));
    GatedDevice c = new GatedDevice(new MallocDevice("malloc:///ec", 4 << 20, 512));
    DeviceOpener opener = DeviceOpener.standard().with("test", u -> switch (u.text()) {
      case "test:///a" -> a;
      case "test:///b" -> b;
      default -> c;
    });
    try (Nexus n = Nexus.create(uuid, 4 << 20, List.of("test:///a", "test:///b"), opener,
        NexusOptions.defaults())) {
      node.nexusOpened(n);
      ByteBuffer buf = DirectMemory.allocate(64 << 10);
      SyncIo.write(n, 0, buf, 0, 64 << 10);
      b.inject(Injection.always(IoType.READ));
      while (b.injectedCount() < 2) {
        SyncIo.read(n, 0, buf, 0, 4096); // round robin reaches b; a serves the retry
      }
      Labels childB = Labels.of("node", "node-1", "pv_name", uuid, "child", "test:///b");
      MetricSnapshots s = metrics.collect();
      assertEquals(2.0, value(s, "nexus_child_errors", childB.add("op", "read")));
      assertEquals(0.0, value(s, "nexus_child_errors", childB.add("op", "write")));
      assertEquals(2.0, value(s, "nexus_child_errors_since_online", childB));
      assertEquals(0.0, value(s, "nexus_child_rebuilding", childB));

      // The new child's writes wait at the gate, so the rebuild onto it is caught running.
      var rebuilt = n.addChild("test:///c");
      try {
        Labels childC = Labels.of("node", "node-1", "pv_name", uuid, "child", "test:///c");
        s = metrics.collect();
        assertEquals(1.0, value(s, "nexus_child_rebuilding", childC));
        assertEquals((double) (4 << 20), value(s, "nexus_rebuild_bytes_to_copy", childC),
            "a full rebuild: the whole volume");
        assertTrue(value(s, "nexus_rebuild_bytes_done", childC) < 4 << 20);
        assertTrue(value(s, "nexus_rebuild_bytes_per_second", childC) >= 0);
        c.open();
        rebuilt.get(30, TimeUnit.SECONDS);
        s = metrics.collect();
        assertEquals(0.0, value(s, "nexus_child_rebuilding", childC));
        assertNull(value(s, "nexus_rebuild_bytes_to_copy", childC), "no rebuild runs");
        assertNull(value(s, "bus_publisher_queued", Labels.of("node", "node-1")),
            "the node publishes to no bus");
      } finally {
        c.open(); // a failed assertion must not leave the rebuild, and the nexus's close, waiting
      }
    }
  }

  @Test
  void targetConnectionsAreScrapedPerSubsystemAndExport() throws Exception {
    MallocDevice disk = new MallocDevice("malloc:///targets", 1 << 20, 512);
    NvmfTarget nvmf = NvmfTarget.bind("127.0.0.1", 0);
    NbdServer nbd = NbdServer.start("127.0.0.1", 0);
    try {
      String nqn = "nqn.2019-05.io.caspian:" + UUID.randomUUID();
      nvmf.addSubsystem(nqn, disk, Set.of());
      nbd.export("vol", disk, false);
      metrics.add(new NodeObjects("node-1", null, nvmf, nbd));
      Labels sub = Labels.of("node", "node-1", "nqn", nqn);
      Labels exp = Labels.of("node", "node-1", "export", "vol");
      MetricSnapshots s = metrics.collect();
      assertEquals(0.0, value(s, "caspian_nvmf_connections", sub));
      assertEquals(0.0, value(s, "caspian_nvmf_queue_depth", sub));
      assertEquals(0.0, value(s, "caspian_nbd_connections", exp));
      assertEquals(0.0, value(s, "caspian_nbd_queue_depth", exp));
      try (NvmfDevice host = NvmfDevice.open("nvmf://127.0.0.1:" + nvmf.port() + "/" + nqn
          + "?io_queues=1")) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (value(metrics.collect(), "caspian_nvmf_connections", sub) != 2.0) {
          assertTrue(System.nanoTime() < deadline, "an admin and an I/O queue never showed");
          Thread.sleep(10);
        }
      }
    } finally {
      nbd.close();
      nvmf.close();
      disk.close();
    }
  }

  @Test
  void theBusPublishersQueueIsScrapedWhenTheNodePublishes() {
    // No broker listens there: the producer never delivers, and events wait in the publisher.
    BusPublisher bus = new BusPublisher(BusPublisher.Options.of("127.0.0.1:9", "node-1")
        .withMaxInFlight(1));
    try {
      NodeObjects publishing = new NodeObjects("node-1", bus, null, null);
      metrics.add(publishing);
      for (int i = 0; i < 5; i++) {
        bus.poolStateChanged("p" + i, "u", "malloc:///d", Health.ONLINE, Health.FAULTED, "test");
      }
      Labels l = Labels.of("node", "node-1");
      MetricSnapshots s = metrics.collect();
      assertEquals(0.0, value(s, "bus_publisher_delivered", l));
      assertEquals(0.0, value(s, "bus_publisher_dropped", l));
      assertTrue(value(s, "bus_publisher_queued", l) + value(s, "bus_publisher_in_flight", l) >= 4,
          "at most one record is with the producer; the rest wait: " + bus.stats());
    } finally {
      bus.close(Duration.ofMillis(100));
    }
  }

  /** A device whose writes wait until {@link #open}: a rebuild onto it stays running. */
  private static final class GatedDevice extends ForwardingDevice {
    private final List<Runnable> held = new ArrayList<>();
    private boolean opened;

    GatedDevice(BlockDevice inner) {
      super(inner);
    }

    synchronized void open() {
      opened = true;
      held.forEach(Runnable::run);
      held.clear();
    }

    @Override
    public void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
      synchronized (this) {
        if (!opened) {
          held.add(() -> inner.write(offset, buf, bufOffset, length, done));
          return;
        }
      }
      inner.write(offset, buf, bufOffset, length, done);
    }
  }

  /** The value of the data point of {@code name} with exactly {@code labels}; null if none. */
  static Double value(MetricSnapshots s, String name, Labels labels) {
    for (MetricSnapshot m : s) {
      if (m.getMetadata().getName().equals(name)) {
        for (GaugeDataPointSnapshot p : ((GaugeSnapshot) m).getDataPoints()) {
          if (p.getLabels().equals(labels)) {
            return p.getValue();
          }
        }
      }
    }
    return null;
  }
}
