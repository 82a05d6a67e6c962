package io.caspian.control.entity.nexus;

import static io.caspian.control.entity.EntityTestKits.okState;
import static io.caspian.control.entity.EntityTestKits.rejection;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.entity.EntityTestKits;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.nexus.NexusEvent.ChildAdded;
import io.caspian.control.entity.nexus.NexusEvent.ChildFaulted;
import io.caspian.control.entity.nexus.NexusEvent.ChildOnline;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NexusEntityTest {
    private static final ActorTestKit SYSTEM = EntityTestKits.system();
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Child A = new Child("bdev:///a", "a", ChildState.ONLINE, "");
    private static final Child B = new Child("nvmf://h2:4420/nqn:b", "b", ChildState.ONLINE, "");
    private static final NexusSpec SPEC = new NexusSpec("n1", 1 << 20, "v1", List.of(A, B));

    private EventSourcedBehaviorTestKit<NexusCommand, NexusEvent, NexusState> kit;

    @BeforeEach
    void setUp() {
        kit = EntityTestKits.of(SYSTEM, NexusEntity.create("x-" + COUNTER.incrementAndGet(),
                EntityTestKits.SNAPSHOT_EVERY_3));
    }

    @AfterAll
    static void tearDown() {
        SYSTEM.shutdownTestKit();
    }

    @Test
    void createIsIdempotentEvenAfterChildStatesChange() {
        kit.<Reply>runCommand(r -> new NexusCommand.Create(SPEC, r));
        kit.<Reply>runCommand(r -> new NexusCommand.SetChildState(B.uri(), ChildState.FAULTED, "io errors", r));
        assertTrue(kit.<Reply>runCommand(r -> new NexusCommand.Create(SPEC, r)).hasNoEvents());
        var elsewhere = kit.<Reply>runCommand(r -> new NexusCommand.Create(
                new NexusSpec("n2", 1 << 20, "v1", List.of(A, B)), r));
        assertEquals(Reply.Kind.CONFLICT, rejection(elsewhere.reply()));
        assertEquals(Reply.Kind.INVALID, rejection(kit.<Reply>runCommand(r -> new NexusCommand.Create(
                new NexusSpec("n1", 1 << 20, "v1", List.of()), r)).reply()));
    }

    @Test
    void childLifecycleDrivesHealth() {
        kit.<Reply>runCommand(r -> new NexusCommand.Create(SPEC, r));
        var faulted = kit.<Reply>runCommand(
                r -> new NexusCommand.SetChildState(B.uri(), ChildState.FAULTED, "error threshold", r));
        assertEquals(List.of(new ChildFaulted(B.uri(), "error threshold")), faulted.events());
        NexusState s = okState(faulted.reply(), NexusState.class);
        assertEquals(Health.DEGRADED, s.healthFromChildren());

        Child c = new Child("nvmf://h3:4420/nqn:c", "c", ChildState.DEGRADED, "rebuilding");
        var added = kit.<Reply>runCommand(r -> new NexusCommand.AddChild(c, r));
        assertEquals(List.of(new ChildAdded(c)), added.events());
        assertTrue(kit.<Reply>runCommand(r -> new NexusCommand.AddChild(c, r)).hasNoEvents());
        var synced = kit.<Reply>runCommand(r -> new NexusCommand.SetChildState(c.uri(), ChildState.ONLINE, "", r));
        assertEquals(List.of(new ChildOnline(c.uri())), synced.events());
        var removed = kit.<Reply>runCommand(r -> new NexusCommand.RemoveChild(B.uri(), r));
        assertEquals(Health.ONLINE, okState(removed.reply(), NexusState.class).healthFromChildren());
        assertEquals(Reply.Kind.NOT_FOUND, rejection(kit.<Reply>runCommand(
                r -> new NexusCommand.SetChildState("bdev:///nope", ChildState.ONLINE, "", r)).reply()));
    }

    @Test
    void publishConflictsOnOtherProtocolAndStateReplays() {
        kit.<Reply>runCommand(r -> new NexusCommand.Create(SPEC, r));
        kit.<Reply>runCommand(r -> new NexusCommand.Publish(Protocol.NVMF, "nvmf://h:4420/nqn:v1", r));
        assertTrue(kit.<Reply>runCommand(r -> new NexusCommand.Publish(Protocol.NVMF, "nvmf://h:4420/nqn:v1", r))
                .hasNoEvents());
        assertEquals(Reply.Kind.CONFLICT, rejection(kit.<Reply>runCommand(
                r -> new NexusCommand.Publish(Protocol.NBD, "nbd://h:10809/v1", r)).reply()));
        kit.<Reply>runCommand(r -> new NexusCommand.SetStatus(Health.ONLINE, r));
        kit.<Reply>runCommand(r -> new NexusCommand.SetChildState(A.uri(), ChildState.DEGRADED, "rebuild", r));
        NexusState before = kit.getState();
        assertEquals(before, kit.restart().state());
    }

    @Test
    void busRecordsAreAppliedOncePerStreamEvenAcrossRestarts() {
        kit.<Reply>runCommand(r -> new NexusCommand.Create(SPEC, r));
        String faults = NexusState.stream("node-a/1", "caspian.io.faults");
        var first = kit.<Reply>runCommand(r -> new NexusCommand.ApplyBus(faults, 1, B.uri(), ChildState.FAULTED,
                "io errors", r));
        assertEquals(List.of(new NexusEvent.BusApplied(faults, 1, B.uri(), ChildState.FAULTED, "io errors")),
                first.events());
        NexusState s = okState(first.reply(), NexusState.class);
        assertEquals(ChildState.FAULTED, s.child(B.uri()).state());
        assertEquals(1, s.busMark(faults));
        assertTrue(kit.<Reply>runCommand(r -> new NexusCommand.ApplyBus(faults, 1, B.uri(), ChildState.ONLINE, "",
                r)).hasNoEvents());
        // A mark-only record of another stream, then a restart (snapshot every 3 events plus replay).
        String rebuild = NexusState.stream("node-a/1", "caspian.io.rebuild");
        kit.<Reply>runCommand(r -> new NexusCommand.ApplyBus(rebuild, 4, "", ChildState.UNKNOWN, "", r));
        kit.<Reply>runCommand(r -> new NexusCommand.SetStatus(Health.DEGRADED, r));
        NexusState restarted = kit.restart().state();
        assertEquals(1, restarted.busMark(faults));
        assertEquals(4, restarted.busMark(rebuild));
        assertEquals(ChildState.FAULTED, restarted.child(B.uri()).state());
        assertTrue(kit.<Reply>runCommand(r -> new NexusCommand.ApplyBus(rebuild, 3, "", ChildState.UNKNOWN, "", r))
                .hasNoEvents());
        assertEquals(1, kit.<Reply>runCommand(r -> new NexusCommand.ApplyBus(faults, 2, B.uri(), ChildState.FAULTED,
                "again", r)).events().size());
        assertEquals(2, kit.getState().busMark(faults));
    }
}
