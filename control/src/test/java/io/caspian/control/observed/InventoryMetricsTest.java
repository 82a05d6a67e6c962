package io.caspian.control.observed;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.NodeStateReport;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The observed objects are counted by type and state from the latest reports, at scrape time. */
class InventoryMetricsTest {
    private static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    private final ActorRef<IoEngineCommand> dataNode = KIT.<IoEngineCommand>createTestProbe().ref();

    @Test
    void countsWhatTheNodesReportByTypeAndState() {
        Inventory inv = new Inventory(Clock.systemUTC());
        InventoryMetrics metrics = new InventoryMetrics(inv);
        assertEquals(Map.of(), counts(metrics));
        inv.update(new NodeStateReport("node-1", "i1", "127.0.0.1:4420", dataNode, 1, Map.of(),
                List.of(new PoolInfo("p1", "u1", "file:///a", Health.ONLINE, 1 << 20, 0, 0),
                        new PoolInfo("p2", "u2", "file:///b", Health.FAULTED, 1 << 20, 0, 0)),
                List.of(replica("r1"), replica("r2")), List.of(), false));
        assertEquals(Map.of("node Online", 1L, "pool Online", 1L, "pool Faulted", 1L, "replica Online", 2L),
                counts(metrics));
        inv.update(new NodeStateReport("node-1", "i1", "127.0.0.1:4420", dataNode, 2, Map.of(),
                List.of(), List.of(), List.of(), false));
        assertEquals(Map.of("node Online", 1L), counts(metrics), "read at the scrape, not remembered");
    }

    private static ReplicaInfo replica(String id) {
        return new ReplicaInfo(id, "p1", 4096, true, Protocol.NONE, "bdev:///" + id, Health.ONLINE);
    }

    private static Map<String, Long> counts(InventoryMetrics m) {
        Map<String, Long> out = new TreeMap<>();
        GaugeSnapshot g = (GaugeSnapshot) m.collect().get(0);
        g.getDataPoints().forEach(d -> out.put(d.getLabels().get("type") + " " + d.getLabels().get("state"),
                (long) d.getValue()));
        return out;
    }
}
