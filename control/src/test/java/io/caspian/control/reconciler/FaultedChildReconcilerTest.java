package io.caspian.control.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.entity.EntityTestKits;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.events.ChildState;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FaultedChildReconcilerTest {
    private static final ActorTestKit KIT = EntityTestKits.system();

    private Fixture f;
    private FaultedChildReconciler faulted;
    private String volume;
    private String r1;
    private String r2;

    /** A 2-replica volume published on node-1 whose child on node-2 the nexus has faulted. */
    @BeforeEach
    void aVolumeWithAFaultedChild() {
        f = new Fixture(KIT);
        faulted = f.faultedChildren();
        f.node("node-1");
        f.node("node-2");
        f.node("node-3");
        volume = f.volume(2);
        r1 = f.replica(volume, "node-1");
        r2 = f.replica(volume, "node-2");
        Map<String, ChildState> children = new LinkedHashMap<>();
        children.put(r1, ChildState.ONLINE);
        children.put(r2, ChildState.FAULTED);
        f.publish(volume, "node-1", children);
        f.reportAll();
    }

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    /** One pass, after the io-engines' periodic reports (a node quiet for 15 s is Unknown, and takes no rebuild). */
    private Map<String, Child> pass() {
        f.reportAll();
        VolumeState v = f.volumeState(volume);
        NexusState n = f.nexus(volume);
        return faulted.waiting(v, n, faulted.faulted(f.ops.states(v), n));
    }

    @Test
    void aReachableFaultedChildIsAskedBackEveryThirdOfTheWaitUntilTheWaitEnds() {
        assertEquals(List.of(r2), List.copyOf(pass().keySet()));
        String online = "onlineChild node-1 " + volume + " " + f.uri(r2, "node-1");
        assertEquals(List.of(online), f.io.calls("onlineChild"), "asked back at once, as a partial rebuild");
        // The io-engine took it back Degraded (rebuilding): never in sync without a rebuild.
        assertEquals(ChildState.DEGRADED, f.childState(volume, r2));

        faultAgain();
        f.clock.advance(Duration.ofSeconds(19));
        pass();
        assertEquals(1, f.io.calls("onlineChild").size(), "not again before a third of the wait");
        f.clock.advance(Duration.ofSeconds(1));
        assertEquals(List.of(r2), List.copyOf(pass().keySet()));
        assertEquals(2, f.io.calls("onlineChild").size());

        faultAgain();
        f.clock.advance(Duration.ofSeconds(40));
        assertTrue(pass().isEmpty(), "the wait is over: the replica count replaces it");
        assertEquals(2, f.io.calls("onlineChild").size());
    }

    @Test
    void aChildOnANodeOfflineForTheNodeTimeoutWaitsNoLonger() {
        f.offline("node-2");
        VolumeState v = f.volumeState(volume);
        NexusState n = f.nexus(volume);
        assertEquals(List.of(r2), List.copyOf(faulted.waiting(v, n, faulted.faulted(f.ops.states(v), n)).keySet()),
                "offline, but not for long: it waits");
        assertEquals(List.of(), f.io.calls("onlineChild"), "an offline node cannot take a rebuild");
        f.clock.advance(Fixture.TIMEOUTS.node());
        assertTrue(faulted.waiting(v, n, faulted.faulted(f.ops.states(v), n)).isEmpty());
    }

    @Test
    void aFaultedReplicaIsRetiredOnlyOnceTheNexusHasAsManyInSyncChildrenAsWanted() {
        String r3 = f.replica(volume, "node-3");
        f.entities.nexus(volume, r -> new NexusCommand.AddChild(new Child(f.uri(r3, "node-1"), r3,
                ChildState.DEGRADED, "new replica: rebuilding"), r));
        Map<String, Child> faultedOnes = faulted.faulted(f.ops.states(f.volumeState(volume)), f.nexus(volume));
        f.shortfalls.put(volume, Shortfalls.Shortfall.of("no pool with room"));

        faulted.retire(f.volumeState(volume), faultedOnes);
        assertTrue(f.volumeState(volume).replicas().contains(r2), "its replacement is still rebuilding");
        assertTrue(f.shortfalls.of(volume).orElseThrow().why().startsWith("faulted replica " + r2));

        f.entities.nexus(volume, r -> new NexusCommand.SetChildState(f.uri(r3, "node-1"), ChildState.ONLINE, "", r));
        faulted.retire(f.volumeState(volume), faultedOnes);
        assertFalse(f.volumeState(volume).replicas().contains(r2));
        assertEquals(List.of("destroyReplica node-2 " + r2), f.io.calls("destroyReplica"));
        assertEquals(null, f.childState(volume, r2), "out of the nexus too");
    }

    private void faultAgain() {
        f.entities.nexus(volume, r -> new NexusCommand.SetChildState(f.uri(r2, "node-1"), ChildState.FAULTED,
                "I/O errors again", r));
    }
}
