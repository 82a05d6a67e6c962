package io.caspian.control.observed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.ChildInfo;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.NodeStateReport;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReportChangeTest {
    private static final PoolInfo POOL = new PoolInfo("p", "pu", "file:///x", Health.ONLINE, 1 << 20, 0, 0);
    private static final ReplicaInfo R1 = replica("r1", Health.ONLINE);
    private static final ReplicaInfo R2 = replica("r2", Health.ONLINE);
    private static final NexusInfo N1 = nexus("n1", ChildState.ONLINE, -1);

    private static ReplicaInfo replica(String uuid, Health status) {
        return new ReplicaInfo(uuid, "p", 1 << 20, true, Protocol.NVMF, "nvmf://x/" + uuid, status);
    }

    private static NexusInfo nexus(String uuid, ChildState child, int progress) {
        return new NexusInfo(uuid, 1 << 20, Health.ONLINE, Protocol.NONE, "",
                List.of(new ChildInfo("nvmf://x/r1", child, "", progress)), 3, 0);
    }

    private static NodeStateReport report(String instance, long generation, List<PoolInfo> pools,
                                          List<ReplicaInfo> replicas, List<NexusInfo> nexuses) {
        return new NodeStateReport("node-1", instance, "127.0.0.1:1", null, generation, Map.of(), pools, replicas,
                nexuses, false);
    }

    @Test
    void onlyTheNexusesAndReplicasThatChangedAreNamed() {
        NodeStateReport before = report("i", 1, List.of(POOL), List.of(R1, R2), List.of(N1));
        ReportChange c = ReportChange.between(before, report("i", 2, List.of(POOL),
                List.of(replica("r1", Health.FAULTED), replica("r3", Health.ONLINE)),
                List.of(nexus("n1", ChildState.DEGRADED, 40))));
        assertFalse(c.everything());
        assertEquals(Set.of("n1"), c.nexuses());
        // r1 changed, r2 vanished, r3 appeared.
        assertEquals(Set.of("r1", "r2", "r3"), c.replicas());
        assertTrue(ReportChange.between(before, report("i", 2, List.of(POOL), List.of(R1, R2), List.of(N1)))
                .isEmpty());
    }

    @Test
    void poolUsageIsNoChangeButPoolHealthConcernsEveryVolume() {
        NodeStateReport before = report("i", 1, List.of(POOL), List.of(R1), List.of());
        PoolInfo fuller = new PoolInfo("p", "pu", "file:///x", Health.ONLINE, 1 << 20, 4096, 4096);
        assertTrue(ReportChange.between(before, report("i", 2, List.of(fuller), List.of(R1), List.of())).isEmpty());
        PoolInfo faulted = new PoolInfo("p", "pu", "file:///x", Health.FAULTED, 1 << 20, 0, 0, "metadata write failed");
        assertTrue(ReportChange.between(before, report("i", 2, List.of(faulted), List.of(R1), List.of()))
                .everything());
        assertTrue(ReportChange.between(before, report("i", 2, List.of(), List.of(R1), List.of())).everything());
    }

    @Test
    void aNodeSeenAfreshOrRestartedConcernsEveryVolume() {
        NodeStateReport now = report("i", 2, List.of(POOL), List.of(R1), List.of());
        assertTrue(ReportChange.between(null, now).everything());
        assertTrue(ReportChange.between(report("old", 7, List.of(POOL), List.of(R1), List.of()), now).everything());
        // The same report again after the node had gone quiet: it is back, which may unblock any volume.
        assertTrue(ReportChange.between(now, now).everything());
    }
}
