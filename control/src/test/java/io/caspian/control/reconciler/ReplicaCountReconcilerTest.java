package io.caspian.control.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.entity.EntityTestKits;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.entity.volume.VolumeCommand;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.events.ChildState;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ReplicaCountReconcilerTest {
    private static final ActorTestKit KIT = EntityTestKits.system();

    private Fixture f;
    private ReplicaCountReconciler count;

    @BeforeEach
    void threeNodes() {
        f = new Fixture(KIT);
        count = f.replicaCount();
        f.node("node-1");
        f.node("node-2");
        f.node("node-3");
    }

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    @Test
    void missingReplicasArePlacedOnNodesWithoutOneAndARefusingPoolIsSkipped() {
        String volume = f.volume(3);
        f.replica(volume, "node-1");
        f.reportAll();
        f.io.refuseReplicasOn(Fixture.pool("node-2"));

        assertEquals(1, count.adjust(f.volumeState(volume), 1), "node-2 refused and no fourth node exists");
        List<String> nodes = f.ops.states(f.volumeState(volume)).stream().map(r -> r.spec().node()).toList();
        assertEquals(List.of("node-1", "node-3"), nodes);
        String why = f.shortfalls.of(volume).orElseThrow().why();
        assertTrue(why.contains("pool " + Fixture.pool("node-2") + " on node-2 refused"), why);
        assertEquals(1, f.io.calls("createReplica node-2").size());
        // The refused replica's entity is destroyed: nothing half-made is left for the garbage collector.
        assertEquals(2, f.volumeState(volume).replicas().size());
    }

    @Test
    void aReplicaIsDroppedOnlyOnAFreshReportOfItsOnlinePoolThatLacksIt() {
        String volume = f.volume(2);
        String r1 = f.replica(volume, "node-1");
        String r2 = f.replica(volume, "node-2");
        f.clock.advance(Duration.ofMinutes(1));
        // node-2 has not reported since this control node started: no evidence either way.
        f.report("node-1");
        f.at("node-1").replicas.clear();
        dropGone(volume, Set.of());
        assertEquals(List.of(r1, r2), f.volumeState(volume).replicas(), "the last report still lists r1");

        f.report("node-1");
        dropGone(volume, Set.of());
        assertEquals(List.of(r2), f.volumeState(volume).replicas());
        assertFalse(f.entities.replica(r1).isPresent());
    }

    @Test
    void aFaultedReplicaIsLeftToTheFaultedChildRules() {
        String volume = f.volume(1);
        String r1 = f.replica(volume, "node-1");
        f.at("node-1").replicas.clear();
        f.report("node-1");
        dropGone(volume, Set.of(r1));
        assertEquals(List.of(r1), f.volumeState(volume).replicas());
    }

    @Test
    void aReplicaWhoseEntityVanishedLeavesTheVolume() {
        String volume = f.volume(2);
        String r1 = f.replica(volume, "node-1");
        String vanished = UUID.randomUUID().toString();
        // A crash between the volume's record of the replica and the replica's own (or after its destroy).
        f.entities.volume(volume, r -> new VolumeCommand.AddReplica(vanished, r));
        f.reportAll();
        dropGone(volume, Set.of());
        assertEquals(List.of(r1), f.volumeState(volume).replicas());
        assertEquals(List.of(), f.io.calls("destroyReplica"), "there is nothing on any io-engine to destroy");
    }

    @Test
    void extraReplicasGoOutOfSyncFirstAndTheLastInSyncChildNever() {
        String volume = f.volume(3);
        String r1 = f.replica(volume, "node-1");
        String r2 = f.replica(volume, "node-2");
        String r3 = f.replica(volume, "node-3");
        Map<String, ChildState> children = new LinkedHashMap<>();
        children.put(r1, ChildState.ONLINE);
        children.put(r2, ChildState.DEGRADED);
        children.put(r3, ChildState.DEGRADED);
        f.publish(volume, "node-1", children);
        f.reportAll();

        count.remove(f.volumeState(volume), 1);
        assertEquals(List.of(r1, r2), f.volumeState(volume).replicas(), "the newest out-of-sync one goes first");
        count.remove(f.volumeState(volume), 2);
        assertEquals(List.of(r1), f.volumeState(volume).replicas(), "r1 is the last in sync: it stays");
        assertEquals(List.of(r1), f.nexus(volume).children().stream().map(c -> c.replica()).toList());
        assertEquals(Set.of("destroyReplica node-3 " + r3, "destroyReplica node-2 " + r2),
                Set.copyOf(f.io.calls("destroyReplica")));
    }

    @Test
    void aReplicaOnAPoolThatIsNotOnlineIsNotDestroyedOnItsIoEngine() {
        String volume = f.volume(1);
        String r1 = f.replica(volume, "node-1");
        f.report("node-1");
        f.offline("node-1");
        ReplicaState r = f.entities.replica(r1).orElseThrow();
        f.ops.drop(f.volumeState(volume), r);
        assertEquals(List.of(), f.io.calls("destroyReplica"), "the garbage collector does it once the pool is back");
        assertFalse(f.entities.replica(r1).isPresent());
    }

    private void dropGone(String volume, Set<String> faulted) {
        VolumeState v = f.volumeState(volume);
        count.dropGone(v, f.ops.states(v), faulted);
    }
}
