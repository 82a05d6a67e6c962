package io.caspian.control.observed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.observed.Inventory.NodeHealth;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.NodeStateReport;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class InventoryTest {
    private static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    /** A clock the test moves by hand. */
    private static final class Manual extends Clock {
        private Instant now = Instant.parse("2026-12-04T00:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    private final ActorRef<IoEngineCommand> dataNode = KIT.<IoEngineCommand>createTestProbe().ref();

    private NodeStateReport report(String instance, long generation, List<ReplicaInfo> replicas) {
        return new NodeStateReport("node-1", instance, "127.0.0.1:4420", dataNode, generation, Map.of(),
                List.of(new PoolInfo("p", "u", "file:///x", Health.ONLINE, 1 << 20, 0, 0)), replicas, List.of(), false);
    }

    @Test
    void aNodeWhoseReportsStopIsUnknownNotEmpty() {
        Manual clock = new Manual();
        Inventory inv = new Inventory(clock, Duration.ofSeconds(15));
        ReplicaInfo r = new ReplicaInfo("r1", "p", 4096, false, Protocol.NONE, "bdev:///r1", Health.ONLINE);
        assertTrue(inv.update(report("i1", 1, List.of(r))));
        assertEquals(NodeHealth.ONLINE, inv.node("node-1").orElseThrow().health());

        clock.advance(Duration.ofSeconds(16));
        assertEquals(NodeHealth.UNKNOWN, inv.node("node-1").orElseThrow().health(), "no report for 16 s");
        assertFalse(inv.node("node-1").orElseThrow().online(), "a stale report is no evidence of what it holds");
        assertEquals(List.of(NodeHealth.UNKNOWN), inv.nodes().stream().map(Inventory.Observed::health).toList());

        // the same report again (the periodic refresh) makes it Online, and counts as news after a silence
        assertTrue(inv.update(report("i1", 1, List.of(r))));
        assertTrue(inv.node("node-1").orElseThrow().online());
        clock.advance(Duration.ofSeconds(5));
        assertFalse(inv.update(report("i1", 1, List.of(r))), "a refresh within the period is no news");
        assertFalse(inv.update(report("i1", 0, List.of())), "an older generation of the same instance is ignored");
        assertTrue(inv.replica("r1").isPresent());
    }

    @Test
    void aStoppedDataNodeIsOfflineAndARestartedOneIsNews() {
        Manual clock = new Manual();
        Inventory inv = new Inventory(clock, Duration.ofSeconds(15));
        inv.update(report("i1", 5, List.of()));
        assertEquals("node-1", inv.offline(dataNode).orElseThrow());
        assertEquals(NodeHealth.OFFLINE, inv.node("node-1").orElseThrow().health());
        clock.advance(Duration.ofMinutes(1));
        assertEquals(NodeHealth.OFFLINE, inv.node("node-1").orElseThrow().health(), "offline stays offline");
        assertTrue(inv.update(report("i2", 1, List.of())), "a new instance starts again at generation 1");
        assertEquals(NodeHealth.ONLINE, inv.node("node-1").orElseThrow().health());
    }

    @Test
    void onlyANodeOfflineForTheWholeTimeoutCountsAsLost() {
        Manual clock = new Manual();
        Inventory inv = new Inventory(clock, Duration.ofSeconds(15));
        Duration timeout = Duration.ofSeconds(10);
        inv.update(report("i1", 1, List.of()));
        clock.advance(Duration.ofSeconds(20));
        assertFalse(inv.offlineFor("node-1", timeout), "a quiet (Unknown) node is no evidence of a loss");
        inv.offline(dataNode);
        clock.advance(Duration.ofSeconds(9));
        assertFalse(inv.offlineFor("node-1", timeout), "offline for 9 s of 10");
        clock.advance(Duration.ofSeconds(1));
        assertTrue(inv.offlineFor("node-1", timeout));
        assertTrue(inv.update(report("i2", 1, List.of())));
        assertFalse(inv.offlineFor("node-1", timeout), "a report brings it back");
        inv.offline(dataNode);
        assertFalse(inv.offlineFor("node-1", timeout), "going again starts the clock again");
        assertFalse(inv.offlineFor("node-9", Duration.ZERO), "a node never heard from");
    }
}
