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
import io.caspian.control.entity.nexus.NexusEvent.RebuildStarted;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
        assertEquals(List.of(new ChildFaulted(B.uri(), "error threshold", BusMark.NONE)), faulted.events());
        NexusState s = okState(faulted.reply(), NexusState.class);
        assertEquals(Health.DEGRADED, s.healthFromChildren());

        Child c = new Child("nvmf://h3:4420/nqn:c", "c", ChildState.DEGRADED, "rebuilding");
        var added = kit.<Reply>runCommand(r -> new NexusCommand.AddChild(c, r));
        assertEquals(List.of(new ChildAdded(c)), added.events());
        assertTrue(kit.<Reply>runCommand(r -> new NexusCommand.AddChild(c, r)).hasNoEvents());
        var synced = kit.<Reply>runCommand(r -> new NexusCommand.SetChildState(c.uri(), ChildState.ONLINE, "", r));
        assertEquals(List.of(new ChildOnline(c.uri(), BusMark.NONE)), synced.events());
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
    void aFaultJournalsTheSameEventWhicheverChannelDeliveredIt() {
        kit.<Reply>runCommand(r -> new NexusCommand.Create(SPEC, r));
        BusMark bus = new BusMark("n2", "caspian.io.faults", "n2/1", 1, 1000);
        var byBus = kit.<Reply>runCommand(r -> new NexusCommand.SetChildState(B.uri(), ChildState.FAULTED,
                "io errors", bus, r));
        var byReport = kit.<Reply>runCommand(r -> new NexusCommand.SetChildState(A.uri(), ChildState.FAULTED,
                "io errors", r));
        assertEquals(List.of(new ChildFaulted(B.uri(), "io errors", bus)), byBus.events());
        assertEquals(List.of(new ChildFaulted(A.uri(), "io errors", BusMark.NONE)), byReport.events());
    }

    @Test
    void aRebuildRecordTheReportsOvertookDoesNotReopenAFinishedRebuild() {
        kit.<Reply>runCommand(r -> new NexusCommand.Create(SPEC, r));
        // The state reports told the whole rebuild first: degraded, started, finished, back in sync.
        kit.<Reply>runCommand(r -> new NexusCommand.SetChildState(B.uri(), ChildState.DEGRADED, "rebuilding", r));
        kit.<Reply>runCommand(r -> new NexusCommand.NoteRebuildStarted(B.uri(), A.uri(), false, BusMark.NONE, r));
        kit.<Reply>runCommand(r -> new NexusCommand.NoteRebuildFinished(B.uri(), RebuildResult.COMPLETED, "",
                BusMark.NONE, r));
        kit.<Reply>runCommand(r -> new NexusCommand.SetChildState(B.uri(), ChildState.ONLINE, "", r));
        // Then the bus delivers the rebuild's records, late.
        BusMark started = new BusMark("n1", "caspian.io.rebuild", "n1/1", 1, 1000);
        assertTrue(kit.<Reply>runCommand(r -> new NexusCommand.NoteRebuildStarted(B.uri(), A.uri(), false, started,
                r)).hasNoEvents());
        BusMark finished = new BusMark("n1", "caspian.io.rebuild", "n1/1", 2, 1100);
        assertTrue(kit.<Reply>runCommand(r -> new NexusCommand.NoteRebuildFinished(B.uri(), RebuildResult.COMPLETED,
                "", finished, r)).hasNoEvents());
        assertEquals(Set.of(), kit.getState().rebuilding());
        assertEquals(ChildState.ONLINE, kit.getState().child(B.uri()).state());
    }

    @Test
    void aStateReportTakenBeforeTheBusFinishedARebuildDoesNotReopenIt() {
        kit.<Reply>runCommand(r -> new NexusCommand.Create(SPEC, r));
        // The bus told the whole rebuild first and the child is back in sync ...
        kit.<Reply>runCommand(r -> new NexusCommand.SetChildState(B.uri(), ChildState.DEGRADED, "rebuilding", r));
        BusMark started = new BusMark("n1", "caspian.io.rebuild", "n1/1", 1, 1000);
        kit.<Reply>runCommand(r -> new NexusCommand.NoteRebuildStarted(B.uri(), A.uri(), false, started, r));
        BusMark finished = new BusMark("n1", "caspian.io.rebuild", "n1/1", 2, 1100);
        kit.<Reply>runCommand(r -> new NexusCommand.NoteRebuildFinished(B.uri(), RebuildResult.COMPLETED, "",
                finished, r));
        kit.<Reply>runCommand(r -> new NexusCommand.SetChildState(B.uri(), ChildState.ONLINE, "", r));
        // ... then a state report taken while it still ran says it is running.
        assertTrue(kit.<Reply>runCommand(r -> new NexusCommand.NoteRebuildStarted(B.uri(), "", false, BusMark.NONE,
                r)).hasNoEvents());
        assertEquals(Set.of(), kit.getState().rebuilding());
        assertEquals(ChildState.ONLINE, kit.getState().child(B.uri()).state());
    }

    @Test
    void busRecordsAreJournaledOnceAsChildEventsEvenAcrossRestarts() {
        kit.<Reply>runCommand(r -> new NexusCommand.Create(SPEC, r));
        BusMark fault = new BusMark("n2", "caspian.io.faults", "n2/1", 1, 1000);
        var first = kit.<Reply>runCommand(r -> new NexusCommand.SetChildState(B.uri(), ChildState.FAULTED,
                "io errors", fault, r));
        NexusState s = okState(first.reply(), NexusState.class);
        assertEquals(ChildState.FAULTED, s.child(B.uri()).state());
        assertEquals(fault, s.mark(fault.stream()));
        assertTrue(kit.<Reply>runCommand(r -> new NexusCommand.SetChildState(B.uri(), ChildState.ONLINE, "", fault,
                r)).hasNoEvents(), "a redelivery changes nothing");

        // The rebuild's story on another topic, then a restart (snapshot every 3 events plus replay).
        BusMark started = new BusMark("n1", "caspian.io.rebuild", "n1/1", 4, 1100);
        assertEquals(List.of(new RebuildStarted(B.uri(), A.uri(), true, started)), kit.<Reply>runCommand(
                r -> new NexusCommand.NoteRebuildStarted(B.uri(), A.uri(), true, started, r)).events());
        kit.<Reply>runCommand(r -> new NexusCommand.SetStatus(Health.DEGRADED, r));
        NexusState restarted = kit.restart().state();
        assertEquals(Map.of(fault.stream(), fault, started.stream(), started), restarted.marks());
        assertEquals(Set.of(B.uri()), restarted.rebuilding());
        assertEquals(ChildState.FAULTED, restarted.child(B.uri()).state());
        BusMark older = new BusMark("n1", "caspian.io.rebuild", "n1/1", 3, 1050);
        assertTrue(kit.<Reply>runCommand(r -> new NexusCommand.NoteRebuildFinished(B.uri(), RebuildResult.FAILED, "",
                older, r)).hasNoEvents(), "an older record of the same incarnation");
        BusMark finished = new BusMark("n1", "caspian.io.rebuild", "n1/1", 5, 1200);
        assertEquals(1, kit.<Reply>runCommand(r -> new NexusCommand.NoteRebuildFinished(B.uri(),
                RebuildResult.COMPLETED, "", finished, r)).events().size());
        assertEquals(Set.of(), kit.getState().rebuilding());

        // The io-engine restarts: its new incarnation's mark replaces the old one, so marks do not grow.
        BusMark next = new BusMark("n2", "caspian.io.faults", "n2/2", 1, 2000);
        assertEquals(1, kit.<Reply>runCommand(r -> new NexusCommand.SetChildState(B.uri(), ChildState.DEGRADED,
                "rebuilding", next, r)).events().size());
        assertEquals(2, kit.getState().marks().size());
        assertEquals(next, kit.getState().mark(next.stream()));
        // A late record of the superseded incarnation is recognised as such.
        BusMark late = new BusMark("n2", "caspian.io.faults", "n2/1", 2, 1500);
        assertTrue(kit.<Reply>runCommand(r -> new NexusCommand.SetChildState(B.uri(), ChildState.FAULTED, "late",
                late, r)).hasNoEvents());
        // A record about a child this nexus does not have changes nothing and is no error; a report is.
        BusMark unknown = new BusMark("n2", "caspian.io.faults", "n2/2", 2, 2100);
        var stray = kit.<Reply>runCommand(r -> new NexusCommand.SetChildState("bdev:///gone", ChildState.FAULTED,
                "x", unknown, r));
        assertTrue(stray.hasNoEvents());
        okState(stray.reply(), NexusState.class);
        assertEquals(Reply.Kind.NOT_FOUND, rejection(kit.<Reply>runCommand(r -> new NexusCommand.SetChildState(
                "bdev:///gone", ChildState.FAULTED, "x", r)).reply()));
    }
}
