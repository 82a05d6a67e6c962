package io.caspian.control.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.entity.EntityTestKits;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.ioengine.ReplicaInfo;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NexusReconcilerTest {
    private static final ActorTestKit KIT = EntityTestKits.system();

    private Fixture f;
    private NexusReconciler nexuses;
    private String volume;
    private String r1;
    private String r2;
    private String r3;

    /** A 3-replica volume on node-1..3, published on node-1; node-4 has room and no replica. */
    @BeforeEach
    void threeReplicasPublishedOnNodeOne() {
        f = new Fixture(KIT);
        nexuses = f.nexuses();
        for (String n : List.of("node-1", "node-2", "node-3", "node-4")) {
            f.node(n);
        }
        volume = f.volume(3);
        r1 = f.replica(volume, "node-1");
        r2 = f.replica(volume, "node-2");
        r3 = f.replica(volume, "node-3");
    }

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    private void publish(ChildState s1, ChildState s2, ChildState s3) {
        Map<String, ChildState> children = new LinkedHashMap<>();
        children.put(r1, s1);
        children.put(r2, s2);
        children.put(r3, s3);
        f.publish(volume, "node-1", children);
        f.reportAll();
    }

    @Test
    void aLostTargetMovesOneGenerationUpWithOnlyTheChildrenInSync() {
        publish(ChildState.ONLINE, ChildState.ONLINE, ChildState.DEGRADED);
        f.offline("node-1");
        f.clock.advance(Duration.ofSeconds(9));
        nexuses.reconcile(f.volumeState(volume), new ReplicaNodes(f.entities));
        assertEquals(List.of(), f.io.calls("createNexus"), "before the failover timeout the target stays");

        f.clock.advance(Duration.ofSeconds(1));
        VolumeState v = nexuses.reconcile(f.volumeState(volume), new ReplicaNodes(f.entities));

        NexusState n = f.nexus(volume);
        assertNotEquals("node-1", n.node());
        assertEquals(n.node(), v.targetNode());
        assertEquals(2, n.generation());
        // Only r2 is in sync and reachable: r1 sits on the lost node, r3 was rebuilding when it was lost.
        assertEquals(List.of("createNexus " + n.node() + " " + volume + " gen=2 [" + f.uri(r2, n.node()) + "]"),
                f.io.calls("createNexus"));
        assertEquals(ChildState.ONLINE, f.childState(volume, r2));
        assertEquals(ChildState.FAULTED, f.childState(volume, r1));
        assertEquals(ChildState.FAULTED, f.childState(volume, r3));
    }

    @Test
    void aLostTargetWithNoReachableChildInSyncStaysDown() {
        publish(ChildState.ONLINE, ChildState.DEGRADED, ChildState.DEGRADED);
        f.offline("node-1");
        f.clock.advance(Duration.ofSeconds(30));
        nexuses.reconcile(f.volumeState(volume), new ReplicaNodes(f.entities));
        assertEquals(List.of(), f.io.calls("createNexus"));
        assertEquals("node-1", f.nexus(volume).node());
        assertEquals(1, f.nexus(volume).generation());
    }

    @Test
    void aNexusLostInARestartComesBackFromReachableChildrenInSyncAndTheOthersAreFaultedNotDropped() {
        publish(ChildState.ONLINE, ChildState.ONLINE, ChildState.ONLINE);
        // node-1 restarted: no nexus in its report. node-3 has not reported since (its replica proves nothing).
        f.at("node-1").nexuses.clear();
        f.report("node-1");
        f.offline("node-3");

        nexuses.reconcile(f.volumeState(volume), new ReplicaNodes(f.entities));

        assertEquals(List.of("createNexus node-1 " + volume + " gen=1 [" + f.uri(r1, "node-1") + ", "
                + f.uri(r2, "node-1") + "]"), f.io.calls("createNexus"));
        assertEquals(ChildState.FAULTED, f.childState(volume, r3));
        assertEquals(List.of(r1, r2, r3), f.volumeState(volume).replicas(), "r3 may be back: it is kept");
        assertEquals(List.of(), f.io.calls("destroyReplica"));
    }

    @Test
    void aChildWhoseReplicaItsOwnNodeReportsFaultedIsTakenOutButNeverTheLastInSync() {
        publish(ChildState.ONLINE, ChildState.ONLINE, ChildState.DEGRADED);
        fault("node-2", r2);
        nexuses.reconcile(f.volumeState(volume), new ReplicaNodes(f.entities));
        assertEquals(ChildState.FAULTED, f.childState(volume, r2));
        assertEquals(List.of("removeChild node-1 " + volume + " " + f.uri(r2, "node-1")), f.io.calls("removeChild"));

        fault("node-1", r1);
        nexuses.reconcile(f.volumeState(volume), new ReplicaNodes(f.entities));
        assertEquals(ChildState.ONLINE, f.childState(volume, r1), "the last in-sync child stays");
        assertTrue(f.io.calls("removeChild").size() == 1);
    }

    private void fault(String node, String replica) {
        List<ReplicaInfo> replicas = f.at(node).replicas;
        replicas.replaceAll(r -> r.uuid().equals(replica) ? new ReplicaInfo(r.uuid(), r.pool(), r.size(), r.thin(),
                r.share(), r.uri(), Health.FAULTED) : r);
        f.report(node);
    }
}
