package io.caspian.control.observed;

import io.caspian.events.Health;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.NodeStateReport;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code caspian_observed_objects{type,state}}: how many nodes, pools, replicas and nexuses the
 * io-engines report, by state, counted from the {@link Inventory} on each scrape (no ask to any
 * entity, no polling). Objects of a node whose report is not fresh are not counted: what it holds
 * is not known.
 */
public final class InventoryMetrics implements MultiCollector {

    private final Inventory inventory;

    public InventoryMetrics(Inventory inventory) {
        this.inventory = inventory;
    }

    @Override
    public MetricSnapshots collect() {
        Map<Labels, Integer> counts = new TreeMap<>();
        for (Inventory.Observed o : inventory.nodes()) {
            count(counts, "node", word(o.health().name()));
            if (!o.online()) {
                continue;
            }
            NodeStateReport r = o.report();
            r.pools().forEach((PoolInfo p) -> count(counts, "pool", state(p.status())));
            r.replicas().forEach((ReplicaInfo x) -> count(counts, "replica", state(x.status())));
            r.nexuses().forEach((NexusInfo n) -> count(counts, "nexus", state(n.status())));
        }
        GaugeSnapshot.Builder g = GaugeSnapshot.builder().name("caspian_observed_objects")
                .help("Nodes, pools, replicas and nexuses as the io-engines report them, by type and state");
        counts.forEach((l, n) -> g.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(n).build()));
        return MetricSnapshots.of(g.build());
    }

    private static void count(Map<Labels, Integer> counts, String type, String state) {
        counts.merge(Labels.of("type", type, "state", state), 1, Integer::sum);
    }

    /** As the REST API and the CLI write states: {@code Online}, {@code Faulted}. */
    private static String state(Health h) {
        return word(h.name());
    }

    private static String word(String constant) {
        return constant.charAt(0) + constant.substring(1).toLowerCase(java.util.Locale.ROOT);
    }
}
