package io.caspian.control.entity.volume;

import static io.caspian.control.entity.EntityTestKits.okState;
import static io.caspian.control.entity.EntityTestKits.rejection;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.entity.EntityTestKits;
import io.caspian.control.entity.Lifecycle;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.volume.VolumeEvent.ReplicaCountChanged;
import io.caspian.control.entity.volume.VolumeEvent.VolumeCreated;
import io.caspian.control.entity.volume.VolumeEvent.VolumePublished;
import io.caspian.control.entity.volume.VolumeEvent.VolumeReplicaAdded;
import io.caspian.control.entity.volume.VolumeEvent.VolumeStatusChanged;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VolumeEntityTest {
    private static final ActorTestKit SYSTEM = EntityTestKits.system();
    private static final VolumeSpec SPEC = new VolumeSpec(1 << 30, 3, true, Map.of("zone", "a"), Map.of());

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private EventSourcedBehaviorTestKit<VolumeCommand, VolumeEvent, VolumeState> kit;
    private String id;

    @BeforeEach
    void setUp() {
        id = "v" + COUNTER.incrementAndGet();
        kit = EntityTestKits.of(SYSTEM, VolumeEntity.create(id, EntityTestKits.SNAPSHOT_EVERY_3));
    }

    @AfterAll
    static void tearDown() {
        SYSTEM.shutdownTestKit();
    }

    @Test
    void createIsIdempotentAndADifferentSpecConflicts() {
        var first = kit.<Reply>runCommand(r -> new VolumeCommand.Create(SPEC, r));
        assertEquals(List.of(new VolumeCreated(SPEC)), first.events());
        assertEquals(Lifecycle.ACTIVE, okState(first.reply(), VolumeState.class).lifecycle());

        var again = kit.<Reply>runCommand(r -> new VolumeCommand.Create(SPEC, r));
        assertTrue(again.hasNoEvents());
        assertEquals(first.reply(), again.reply());

        var other = kit.<Reply>runCommand(r -> new VolumeCommand.Create(SPEC.withReplicas(2), r));
        assertTrue(other.hasNoEvents());
        assertEquals(Reply.Kind.CONFLICT, rejection(other.reply()));
    }

    @Test
    void badSpecIsInvalidAndUnknownVolumeIsNotFound() {
        var bad = kit.<Reply>runCommand(r -> new VolumeCommand.Create(new VolumeSpec(0, 1, false, Map.of(),
                Map.of()), r));
        assertEquals(Reply.Kind.INVALID, rejection(bad.reply()));
        assertEquals(Reply.Kind.NOT_FOUND, rejection(kit.<Reply>runCommand(VolumeCommand.Get::new).reply()));
        assertEquals(Reply.Kind.NOT_FOUND, rejection(kit.<Reply>runCommand(VolumeCommand.Destroy::new).reply()));
    }

    @Test
    void replicaCountPublishAndStatusChanges() {
        kit.<Reply>runCommand(r -> new VolumeCommand.Create(SPEC, r));
        var scale = kit.<Reply>runCommand(r -> new VolumeCommand.SetReplicaCount(2, r));
        assertEquals(List.of(new ReplicaCountChanged(2)), scale.events());
        assertTrue(kit.<Reply>runCommand(r -> new VolumeCommand.SetReplicaCount(2, r)).hasNoEvents());
        assertEquals(Reply.Kind.INVALID,
                rejection(kit.<Reply>runCommand(r -> new VolumeCommand.SetReplicaCount(0, r)).reply()));

        var add = kit.<Reply>runCommand(r -> new VolumeCommand.AddReplica("r1", r));
        assertEquals(List.of(new VolumeReplicaAdded("r1")), add.events());
        assertTrue(kit.<Reply>runCommand(r -> new VolumeCommand.AddReplica("r1", r)).hasNoEvents());

        List<String> h1 = List.of("nqn.2014-08.org.nvmexpress:uuid:h1");
        List<String> h2 = List.of("nqn.2014-08.org.nvmexpress:uuid:h2", "nqn.2019-05.io.caspian:node:n3");
        var pub = kit.<Reply>runCommand(r -> new VolumeCommand.Publish("v1", "n1", Protocol.NVMF, "nvmf://x", h1, r));
        assertEquals(List.of(new VolumePublished("v1", "n1", Protocol.NVMF, "nvmf://x", h1)), pub.events());
        assertEquals(h1, okState(pub.reply(), VolumeState.class).hosts());
        assertTrue(kit.<Reply>runCommand(r -> new VolumeCommand.Publish("v1", "n1", Protocol.NVMF, "nvmf://x", h1,
                r)).hasNoEvents());
        // Published again to other hosts: the same target, the new list, journaled.
        var again = kit.<Reply>runCommand(r -> new VolumeCommand.Publish("v1", "n1", Protocol.NVMF, "nvmf://x", h2,
                r));
        assertEquals(List.of(new VolumePublished("v1", "n1", Protocol.NVMF, "nvmf://x", h2)), again.events());
        assertEquals(h2, okState(again.reply(), VolumeState.class).hosts());
        // The target failed over: its new node and address are journaled, the rest kept.
        var moved = kit.<Reply>runCommand(r -> new VolumeCommand.Publish("v1", "n2", Protocol.NVMF, "nvmf://y", h2,
                r));
        assertEquals(List.of(new VolumePublished("v1", "n2", Protocol.NVMF, "nvmf://y", h2)), moved.events());
        assertEquals("n2", okState(moved.reply(), VolumeState.class).targetNode());
        assertEquals(Reply.Kind.CONFLICT, rejection(kit.<Reply>runCommand(
                r -> new VolumeCommand.Publish("v1", "n1", Protocol.NBD, "nbd://x", List.of(), r)).reply()));

        var degraded = kit.<Reply>runCommand(r -> new VolumeCommand.SetStatus(Health.DEGRADED, "2 of 3", r));
        assertEquals(List.of(new VolumeStatusChanged(Health.DEGRADED, "2 of 3")), degraded.events());
        assertTrue(kit.<Reply>runCommand(r -> new VolumeCommand.SetStatus(Health.DEGRADED, "2 of 3", r))
                .hasNoEvents(), "the same status and reason again is no news");
        var why = kit.<Reply>runCommand(r -> new VolumeCommand.SetStatus(Health.DEGRADED, "no pool has room", r));
        assertEquals(List.of(new VolumeStatusChanged(Health.DEGRADED, "no pool has room")), why.events(),
                "a new reason is journaled, so the history says why");

        var unpub = kit.<Reply>runCommand(VolumeCommand.Unpublish::new);
        assertFalse(okState(unpub.reply(), VolumeState.class).published());
        assertEquals(List.of(), okState(unpub.reply(), VolumeState.class).hosts());
    }

    @Test
    void destroyIsIdempotentAndAllowsRecreation() {
        kit.<Reply>runCommand(r -> new VolumeCommand.Create(SPEC, r));
        var d1 = kit.<Reply>runCommand(VolumeCommand.Destroy::new);
        assertEquals(Lifecycle.DESTROYED, okState(d1.reply(), VolumeState.class).lifecycle());
        assertTrue(kit.<Reply>runCommand(VolumeCommand.Destroy::new).hasNoEvents());
        assertEquals(Reply.Kind.NOT_FOUND, rejection(kit.<Reply>runCommand(VolumeCommand.Get::new).reply()));
        var again = kit.<Reply>runCommand(r -> new VolumeCommand.Create(SPEC.withReplicas(1), r));
        assertEquals(1, okState(again.reply(), VolumeState.class).spec().replicas());
    }

    @Test
    void stateSurvivesRestartFromSnapshotAndEvents() {
        kit.<Reply>runCommand(r -> new VolumeCommand.Create(SPEC, r));
        for (int i = 0; i < 4; i++) {
            String id = "r" + i;
            kit.<Reply>runCommand(r -> new VolumeCommand.AddReplica(id, r));
        }
        VolumeState before = kit.getState();
        // Five events with a snapshot every three: replay starts from the snapshot at 3 and applies two events.
        kit.snapshotTestKit().orElseThrow().expectNextPersisted("Volume|" + id,
                before.withReplica("r3", false).withReplica("r2", false));
        assertEquals(before, kit.restart().state());
    }
}
