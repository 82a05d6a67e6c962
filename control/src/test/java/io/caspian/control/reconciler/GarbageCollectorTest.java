package io.caspian.control.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.caspian.control.entity.EntityTestKits;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GarbageCollectorTest {
    private static final ActorTestKit KIT = EntityTestKits.system();

    private Fixture f;
    private GarbageCollector gc;

    @BeforeEach
    void twoNodes() {
        f = new Fixture(KIT);
        gc = f.garbageCollector();
        f.node("node-1");
        f.node("node-2");
    }

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    @Test
    void aReplicaWithNoEntityIsDestroyedOnlyOnceItIsNoLongerNewAndItsPoolIsOnline() {
        String volume = f.volume(1);
        String kept = f.replica(volume, "node-1");
        String orphan = UUID.randomUUID().toString();
        f.at("node-1").replicas.add(new ReplicaInfo(orphan, Fixture.pool("node-1"), Fixture.SIZE, false,
                Protocol.NONE, "bdev:///" + orphan, Health.ONLINE));
        f.inventory.created(orphan);
        f.reportAll();

        gc.collect(Integer.MAX_VALUE);
        assertEquals(List.of(), f.io.calls("destroyReplica"), "just made: its entity may not be readable yet");

        f.clock.advance(Duration.ofSeconds(31));
        f.offline("node-1");
        gc.collect(Integer.MAX_VALUE);
        assertEquals(List.of(), f.io.calls("destroyReplica"), "an offline node's last report is no evidence");

        f.report("node-1");
        gc.collect(Integer.MAX_VALUE);
        assertEquals(List.of("destroyReplica node-1 " + orphan), f.io.calls("destroyReplica"));
        assertEquals(List.of(kept), f.volumeState(volume).replicas());
    }

    @Test
    void aNexusTheJournalPlacesElsewhereOrNowhereIsDestroyedAndTheOneOnRecordIsKept() {
        String volume = f.volume(1);
        String r1 = f.replica(volume, "node-1");
        f.publish(volume, "node-1", Map.of(r1, ChildState.ONLINE));
        // node-2 still runs the same volume's nexus (its target failed over while node-2 was away), and one nobody
        // journaled (a crash between making it and journaling it).
        String unjournaled = UUID.randomUUID().toString();
        for (String id : List.of(volume, unjournaled)) {
            f.at("node-2").nexuses.add(new NexusInfo(id, Fixture.SIZE, Health.ONLINE, Protocol.NVMF, "", List.of(),
                    0, 0));
        }
        f.reportAll();

        gc.collect(Integer.MAX_VALUE);

        assertEquals(java.util.Set.of("destroyNexus node-2 " + volume, "destroyNexus node-2 " + unjournaled),
                java.util.Set.copyOf(f.io.calls("destroyNexus")));
        assertEquals(2, f.io.calls("destroyNexus").size());
    }

    @Test
    void aPageLooksAtUpToItsSizeOfReplicasAndTheNextPageGoesOn() {
        List<String> orphans = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String orphan = UUID.randomUUID().toString();
            orphans.add(orphan);
            f.at("node-1").replicas.add(new ReplicaInfo(orphan, Fixture.pool("node-1"), Fixture.SIZE, false,
                    Protocol.NONE, "bdev:///" + orphan, Health.ONLINE));
        }
        f.reportAll();
        orphans.sort(null);

        for (int i = 0; i < 3; i++) {
            gc.collect(1);
            assertEquals(orphans.subList(0, i + 1).stream().map(o -> "destroyReplica node-1 " + o).toList(),
                    f.io.calls("destroyReplica"), "page " + (i + 1) + " looks at one more replica, in uuid order");
        }
    }

    @Test
    void whatTheProjectionPlacesWhereItIsReportedIsNotAskedOfItsEntityAndWhatItLacksIs() {
        String volume = f.volume(1);
        String r1 = f.replica(volume, "node-1");
        String r2 = f.replica(volume, "node-2");
        f.publish(volume, "node-1", Map.of(r1, ChildState.ONLINE, r2, ChildState.ONLINE));
        f.reportAll();
        Projected all = f.projected(Set.of(r1, r2));
        long before = f.asks();
        f.garbageCollector(all).collect(Integer.MAX_VALUE);
        assertEquals(0, f.asks() - before, "everything reported is on record where it is reported");

        // A projection that lags (it has not passed r2's creation yet): r2 is read from its entity, and kept.
        Projected lagging = f.projected(Set.of(r1));
        before = f.asks();
        f.garbageCollector(lagging).collect(Integer.MAX_VALUE);
        assertEquals(1, f.asks() - before, "only the replica the projection lacks is asked of its entity");
        assertEquals(List.of(), f.io.calls("destroyReplica"));
        assertEquals(List.of(), f.io.calls("destroyNexus"));
    }
}
