package io.caspian.control.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.entity.EntityTestKits;
import io.caspian.control.entity.nexus.NexusCommand;
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
import org.junit.jupiter.api.Test;

class VolumeReconcilerTest {
    private static final ActorTestKit KIT = EntityTestKits.system();

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    @Test
    void aPassOverAHealthyVolumeAsksEachEntityOnce() {
        Fixture f = new Fixture(KIT);
        VolumeReconciler reconciler = f.volumeReconciler();
        String volume = f.publishedOnThreeNodes();
        assertEquals(Health.ONLINE, reconciler.reconcile(volume).orElseThrow().status());

        long before = f.asks();
        int calls = f.io.calls.size();
        reconciler.reconcile(volume);
        long asks = f.asks() - before;
        System.out.printf("a pass over a healthy published 3-replica volume: %d entity asks%n", asks);
        assertEquals(calls, f.io.calls.size(), "nothing to do on any io-engine");
        // The volume (3 reads), its nexus (3) and each replica once; 24 before a pass kept the replicas' nodes.
        assertTrue(asks <= 9, asks + " asks");
    }

    @Test
    void aFaultedChildWithinItsWaitCountsTowardsTheReplicaCountAndIsReplacedAfterIt() {
        Fixture f = new Fixture(KIT);
        VolumeReconciler reconciler = f.volumeReconciler();
        f.node("node-1");
        f.node("node-2");
        f.node("node-3");
        String volume = f.volume(2);
        String r1 = f.replica(volume, "node-1");
        String r2 = f.replica(volume, "node-2");
        Map<String, ChildState> children = new LinkedHashMap<>();
        children.put(r1, ChildState.ONLINE);
        children.put(r2, ChildState.FAULTED);
        f.publish(volume, "node-1", children);
        // node-2's io-engine reports its replica Faulted (its disk failed): it cannot be asked back.
        f.at("node-2").replicas.replaceAll(r -> new ReplicaInfo(r.uuid(), r.pool(),
                r.size(), r.thin(), r.share(), r.uri(), Health.FAULTED));
        f.reportAll();

        VolumeState v = reconciler.reconcile(volume).orElseThrow();
        assertEquals(List.of(), f.io.calls("createReplica"), "within the wait nothing is replaced");
        assertEquals(Health.DEGRADED, v.status());
        assertTrue(v.reason().startsWith("faulted replica " + r2), v.reason());

        f.clock.advance(Fixture.FAULTED_WAIT);
        f.reportAll();
        v = reconciler.reconcile(volume).orElseThrow();
        assertEquals(1, f.io.calls("createReplica node-3").size(), "the replacement goes where no replica is");
        String r3 = v.replicas().get(2);
        assertEquals(ChildState.DEGRADED, f.childState(volume, r3), "it joins rebuilding, never in sync");
        assertEquals(List.of(r1, r2, r3), v.replicas(), "r2 stays until its replacement is rebuilt");

        f.entities.nexus(volume, r -> new NexusCommand.SetChildState(
                f.uri(r3, "node-1"), ChildState.ONLINE, "", r));
        f.clock.advance(Duration.ofSeconds(1));
        v = reconciler.reconcile(volume).orElseThrow();
        assertEquals(List.of(r1, r3), v.replicas());
        assertEquals(List.of("destroyReplica node-2 " + r2), f.io.calls("destroyReplica"));
    }
}
