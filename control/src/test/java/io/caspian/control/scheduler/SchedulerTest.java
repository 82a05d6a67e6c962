package io.caspian.control.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.events.Health;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SchedulerTest {
    private static final long GIB = 1L << 30;
    private final Scheduler scheduler = new Scheduler(Scheduler.DEFAULT_OVERCOMMIT_PERCENT);

    private static NodeCandidate node(String id) {
        return new NodeCandidate(id, true, false, Map.of(), 0);
    }

    private static PoolCandidate pool(String name, String node, long capacity, long used, long committed) {
        return new PoolCandidate(name, node, Map.of(), Health.ONLINE, capacity, used, committed);
    }

    private static ReplicaRequest thick(long size, int count) {
        return new ReplicaRequest(size, false, count, Map.of(), Map.of(), Set.of());
    }

    private static List<String> names(Placement p) {
        return p.pools().stream().map(PoolCandidate::name).toList();
    }

    @Test
    void replicasGoOnDistinctNodes() {
        var pools = List.of(pool("a1", "a", 10 * GIB, 0, 0), pool("a2", "a", 10 * GIB, 0, 0),
                pool("b1", "b", 10 * GIB, 0, 0));
        Placement p = scheduler.placeReplicas(thick(GIB, 3), List.of(node("a"), node("b")), pools);
        assertFalse(p.complete());
        assertEquals(2, p.pools().size());
        assertEquals(2, p.pools().stream().map(PoolCandidate::node).distinct().count());
        assertTrue(p.shortfall().contains("found 2 of 3"), p.shortfall());
    }

    /** The issue-16 case: (committed + 4 EiB) * 100 wrapped around to a negative number and the volume was placed. */
    @Test
    void hugeThinVolumesDoNotOverflowTheOvercommitLimit() {
        long mib = 1L << 20;
        var pools = List.of(pool("a1", "a", 510 * mib, 0, 0), pool("b1", "b", 510 * mib, 0, 100 * mib));
        var nodes = List.of(node("a"), node("b"));
        for (long size : new long[] {4L << 60, Long.MAX_VALUE, Long.MAX_VALUE / 100 + 1}) {
            Placement p = scheduler.placeReplicas(new ReplicaRequest(size, true, 1, Map.of(), Map.of(), Set.of()),
                    nodes, pools);
            assertFalse(p.complete(), "thin " + size);
            assertTrue(p.shortfall().contains("2 without room (the most any of them could take: " + 1275 * mib
                    + " bytes within the 250 % overcommit limit)"), p.shortfall());
        }
        Placement fits = scheduler.placeReplicas(new ReplicaRequest(1275 * mib, true, 1, Map.of(), Map.of(),
                Set.of()), nodes, pools);
        assertEquals(List.of("a1"), names(fits), "exactly the limit fits");
        Placement tooBigThick = scheduler.placeReplicas(thick(Long.MAX_VALUE, 1), nodes, pools);
        assertFalse(tooBigThick.complete());
        assertTrue(tooBigThick.shortfall().contains("the most any of them could take: " + (510 * mib - 1)
                + " bytes)"), tooBigThick.shortfall());
    }

    @Test
    void volatilePoolsOnlyForVolumesThatAskForThem() {
        var pools = List.of(new PoolCandidate("mem", "a", Map.of(), Health.ONLINE, 10 * GIB, 0, 0, true),
                pool("disk", "b", 10 * GIB, 5 * GIB, 5 * GIB));
        var nodes = List.of(node("a"), node("b"));
        assertEquals(List.of("disk"), names(scheduler.placeReplicas(thick(GIB, 1), nodes, pools)),
                "the emptier memory pool is not taken by a volume that did not ask");
        Placement two = scheduler.placeReplicas(thick(GIB, 2), nodes, pools);
        assertTrue(two.shortfall().contains("1 volatile (malloc) not asked for"), two.shortfall());
        var asking = new ReplicaRequest(GIB, false, 1, Map.of(), Map.of(Scheduler.VOLATILE_LABEL, "true"), Set.of());
        assertEquals(List.of("mem"), names(scheduler.placeReplicas(asking, nodes, pools)));
        assertEquals(List.of("mem"), names(new Scheduler(Scheduler.DEFAULT_OVERCOMMIT_PERCENT, true)
                .placeReplicas(thick(GIB, 1), nodes, pools)), "allowed for every volume by configuration");
    }

    @Test
    void leastUsedPoolsComeFirst() {
        var pools = List.of(pool("busy", "a", 10 * GIB, 6 * GIB, 6 * GIB), pool("idle", "b", 10 * GIB, 0, 0),
                pool("half", "c", 10 * GIB, 3 * GIB, 3 * GIB));
        Placement p = scheduler.placeReplicas(thick(GIB, 2), List.of(node("a"), node("b"), node("c")), pools);
        assertEquals(List.of("idle", "half"), names(p));
    }

    @Test
    void thickNeedsFreeSpaceBeyondItsSize() {
        var pools = List.of(pool("exact", "a", 10 * GIB, 9 * GIB, 9 * GIB), pool("room", "b", 10 * GIB, 8 * GIB,
                8 * GIB));
        Placement p = scheduler.placeReplicas(thick(GIB, 1), List.of(node("a"), node("b")), pools);
        assertEquals(List.of("room"), names(p));
    }

    @Test
    void thinMayOvercommitUpTo250Percent() {
        // 10 GiB pool with 24 GiB committed: 1 GiB more reaches exactly 250 %, 2 GiB more would pass it.
        var pools = List.of(pool("p", "a", 10 * GIB, GIB, 24 * GIB));
        var nodes = List.of(node("a"));
        assertTrue(scheduler.placeReplicas(new ReplicaRequest(GIB, true, 1, Map.of(), Map.of(), Set.of()), nodes,
                pools).complete());
        assertFalse(scheduler.placeReplicas(new ReplicaRequest(2 * GIB, true, 1, Map.of(), Map.of(), Set.of()),
                nodes, pools).complete());
        // Thick ignores commitment and looks at free space only: 2 GiB fits in 9 GiB free, 9 GiB does not.
        assertTrue(scheduler.placeReplicas(thick(2 * GIB, 1), nodes, pools).complete());
        assertFalse(scheduler.placeReplicas(thick(9 * GIB, 1), nodes, pools).complete());
        // The limit is settable.
        Scheduler strict = new Scheduler(100);
        assertFalse(strict.placeReplicas(new ReplicaRequest(GIB, true, 1, Map.of(), Map.of(), Set.of()), nodes,
                pools).complete());
        assertThrows(IllegalArgumentException.class, () -> new Scheduler(50));
    }

    @Test
    void labelsFilterNodesAndPools() {
        var nodes = List.of(new NodeCandidate("a", true, false, Map.of("zone", "east"), 0),
                new NodeCandidate("b", true, false, Map.of("zone", "west"), 0),
                new NodeCandidate("c", true, false, Map.of("zone", "east"), 0));
        var pools = List.of(new PoolCandidate("pa", "a", Map.of("class", "ssd"), Health.ONLINE, 10 * GIB, 0, 0),
                new PoolCandidate("pb", "b", Map.of("class", "ssd"), Health.ONLINE, 10 * GIB, 0, 0),
                new PoolCandidate("pc", "c", Map.of("class", "hdd"), Health.ONLINE, 10 * GIB, 0, 0));
        Placement p = scheduler.placeReplicas(new ReplicaRequest(GIB, false, 1, Map.of("zone", "east"),
                Map.of("class", "ssd"), Set.of()), nodes, pools);
        assertEquals(List.of("pa"), names(p));
    }

    @Test
    void offlineCordonedExcludedAndUnhealthyAreSkipped() {
        var nodes = List.of(new NodeCandidate("down", false, false, Map.of(), 0),
                new NodeCandidate("cordoned", true, true, Map.of(), 0), node("used"), node("ok"), node("sick"));
        var pools = List.of(pool("p1", "down", 10 * GIB, 0, 0), pool("p2", "cordoned", 10 * GIB, 0, 0),
                pool("p3", "used", 10 * GIB, 0, 0), pool("p4", "ok", 10 * GIB, 5 * GIB, 5 * GIB),
                new PoolCandidate("p5", "sick", Map.of(), Health.FAULTED, 10 * GIB, 0, 0));
        Placement p = scheduler.placeReplicas(new ReplicaRequest(GIB, false, 2, Map.of(), Map.of(), Set.of("used")),
                nodes, pools);
        assertEquals(List.of("p4"), names(p));
        assertTrue(p.shortfall().contains("1 not online"), p.shortfall());
    }

    @Test
    void nexusGoesOnRequestedNodeOrTheLeastLoaded() {
        var nodes = List.of(new NodeCandidate("a", true, false, Map.of(), 2),
                new NodeCandidate("b", true, false, Map.of(), 1), new NodeCandidate("c", true, false, Map.of(), 1),
                new NodeCandidate("d", false, false, Map.of(), 0));
        assertEquals(Optional.of("a"), scheduler.placeNexus("a", nodes, Set.of()));
        assertEquals(Optional.empty(), scheduler.placeNexus("d", nodes, Set.of()));
        assertEquals(Optional.of("b"), scheduler.placeNexus(null, nodes, Set.of()));
        // Equal load: the node with a local replica wins.
        assertEquals(Optional.of("c"), scheduler.placeNexus("", nodes, Set.of("c")));
    }
}
