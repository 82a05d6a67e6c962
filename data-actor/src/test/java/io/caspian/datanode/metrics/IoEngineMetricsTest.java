package io.caspian.datanode.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import io.caspian.events.Health;
import io.caspian.nexus.Nexus;
import io.caspian.nexus.NexusOptions;
import io.caspian.pool.Pool;
import io.caspian.pool.PoolStats;
import io.caspian.pool.Replica;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A scrape shows the live pools and volumes of every registered node, under Mayastor's names. */
class IoEngineMetricsTest {

  private static final int CLUSTER = 64 << 10;

  private final IoEngineMetrics metrics = new IoEngineMetrics();
  private final NodeObjects node = new NodeObjects("node-1");

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
