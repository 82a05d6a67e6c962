package io.caspian.control.entity.replica;

import static io.caspian.control.entity.EntityTestKits.okState;
import static io.caspian.control.entity.EntityTestKits.rejection;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.entity.EntityTestKits;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.replica.ReplicaEvent.ReplicaCreated;
import io.caspian.control.entity.replica.ReplicaEvent.ReplicaShared;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ReplicaEntityTest {
    private static final ActorTestKit SYSTEM = EntityTestKits.system();
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final ReplicaSpec SPEC = new ReplicaSpec("p1", "n1", 1 << 20, true, "v1");

    private EventSourcedBehaviorTestKit<ReplicaCommand, ReplicaEvent, ReplicaState> kit;

    @BeforeEach
    void setUp() {
        kit = EntityTestKits.of(SYSTEM, ReplicaEntity.create("r-" + COUNTER.incrementAndGet(),
                EntityTestKits.SNAPSHOT_EVERY_3));
    }

    @AfterAll
    static void tearDown() {
        SYSTEM.shutdownTestKit();
    }

    @Test
    void createIsIdempotentAndADifferentPoolConflicts() {
        var first = kit.<Reply>runCommand(r -> new ReplicaCommand.Create(SPEC, r));
        assertEquals(List.of(new ReplicaCreated(SPEC)), first.events());
        assertTrue(okState(first.reply(), ReplicaState.class).uri().startsWith("bdev:///"));
        assertTrue(kit.<Reply>runCommand(r -> new ReplicaCommand.Create(SPEC, r)).hasNoEvents());
        var other = kit.<Reply>runCommand(r -> new ReplicaCommand.Create(
                new ReplicaSpec("p2", "n2", 1 << 20, true, "v1"), r));
        assertEquals(Reply.Kind.CONFLICT, rejection(other.reply()));
    }

    @Test
    void shareStatusDestroyAndReplay() {
        kit.<Reply>runCommand(r -> new ReplicaCommand.Create(SPEC, r));
        var share = kit.<Reply>runCommand(r -> new ReplicaCommand.Share(Protocol.NVMF, "nvmf://h:4420/nqn", r));
        assertEquals(List.of(new ReplicaShared(Protocol.NVMF, "nvmf://h:4420/nqn")), share.events());
        assertTrue(kit.<Reply>runCommand(r -> new ReplicaCommand.Share(Protocol.NVMF, "nvmf://h:4420/nqn", r))
                .hasNoEvents());
        kit.<Reply>runCommand(r -> new ReplicaCommand.SetStatus(Health.ONLINE, r));
        kit.<Reply>runCommand(r -> new ReplicaCommand.SetStatus(Health.FAULTED, r));
        ReplicaState before = kit.getState();
        assertEquals(before, kit.restart().state());
        kit.<Reply>runCommand(ReplicaCommand.Destroy::new);
        assertTrue(kit.<Reply>runCommand(ReplicaCommand.Destroy::new).hasNoEvents());
        assertEquals(Reply.Kind.NOT_FOUND, rejection(kit.<Reply>runCommand(
                r -> new ReplicaCommand.SetStatus(Health.ONLINE, r)).reply()));
    }

    @Test
    void theSharedLifecycleAnswersEveryCommandInEveryState() {
        // Never created: every command but Create is NOT_FOUND, Destroy included, and nothing is journaled.
        for (var reply : List.of(kit.<Reply>runCommand(ReplicaCommand.Destroy::new),
                kit.<Reply>runCommand(ReplicaCommand.Get::new),
                kit.<Reply>runCommand(r -> new ReplicaCommand.Share(Protocol.NBD, "nbd://h/x", r)))) {
            assertTrue(reply.hasNoEvents());
            assertEquals(Reply.Kind.NOT_FOUND, rejection(reply.reply()));
        }
        var invalid = kit.<Reply>runCommand(r -> new ReplicaCommand.Create(new ReplicaSpec("", "n1", 0, true, "v1"),
                r));
        assertTrue(invalid.hasNoEvents());
        assertEquals(Reply.Kind.INVALID, rejection(invalid.reply()));
        assertTrue(((Reply.Rejected) invalid.reply()).message().startsWith("replica 'r-"));
        kit.<Reply>runCommand(r -> new ReplicaCommand.Create(SPEC, r));
        kit.<Reply>runCommand(ReplicaCommand.Destroy::new);
        // The tombstone: Get is NOT_FOUND, the id may be created again.
        assertEquals(Reply.Kind.NOT_FOUND, rejection(kit.<Reply>runCommand(ReplicaCommand.Get::new).reply()));
        assertEquals(List.of(new ReplicaCreated(SPEC)),
                kit.<Reply>runCommand(r -> new ReplicaCommand.Create(SPEC, r)).events());
    }
}
