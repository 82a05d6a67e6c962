package io.caspian.control.entity.pool;

import static io.caspian.control.entity.EntityTestKits.okState;
import static io.caspian.control.entity.EntityTestKits.rejection;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.entity.EntityTestKits;
import io.caspian.control.entity.Lifecycle;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.pool.PoolEvent.PoolCreated;
import io.caspian.control.entity.pool.PoolEvent.PoolStatusChanged;
import io.caspian.events.Health;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PoolEntityTest {
    private static final ActorTestKit SYSTEM = EntityTestKits.system();
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final PoolSpec SPEC = new PoolSpec("n1", "malloc:///p?size_mb=64", Map.of("class", "fast"));

    private EventSourcedBehaviorTestKit<PoolCommand, PoolEvent, PoolState> kit;
    private String id;

    @BeforeEach
    void setUp() {
        id = "pool-" + COUNTER.incrementAndGet();
        kit = EntityTestKits.of(SYSTEM, PoolEntity.create(id, EntityTestKits.SNAPSHOT_EVERY_3));
    }

    @AfterAll
    static void tearDown() {
        SYSTEM.shutdownTestKit();
    }

    @Test
    void createIsIdempotentAndADifferentDiskConflicts() {
        var first = kit.<Reply>runCommand(r -> new PoolCommand.Create(SPEC, r));
        assertEquals(List.of(new PoolCreated(SPEC)), first.events());
        var again = kit.<Reply>runCommand(r -> new PoolCommand.Create(SPEC, r));
        assertTrue(again.hasNoEvents());
        assertEquals(first.reply(), again.reply());
        var other = kit.<Reply>runCommand(r -> new PoolCommand.Create(new PoolSpec("n1", "/dev/sdb", Map.of()), r));
        assertEquals(Reply.Kind.CONFLICT, rejection(other.reply()));
        assertEquals(Reply.Kind.INVALID, rejection(kit.<Reply>runCommand(
                r -> new PoolCommand.Create(new PoolSpec("n1", "", Map.of()), r)).reply()));
    }

    @Test
    void statusChangesAndDestroy() {
        kit.<Reply>runCommand(r -> new PoolCommand.Create(SPEC, r));
        var online = kit.<Reply>runCommand(r -> new PoolCommand.SetStatus(Health.ONLINE, "", r));
        assertEquals(List.of(new PoolStatusChanged(Health.ONLINE, "")), online.events());
        assertTrue(kit.<Reply>runCommand(r -> new PoolCommand.SetStatus(Health.ONLINE, "", r)).hasNoEvents());
        var faulted = kit.<Reply>runCommand(r -> new PoolCommand.SetStatus(Health.FAULTED, "disk lost", r));
        assertEquals(List.of(new PoolStatusChanged(Health.FAULTED, "disk lost")), faulted.events());
        kit.<Reply>runCommand(r -> new PoolCommand.SetStatus(Health.ONLINE, "", r));
        var gone = kit.<Reply>runCommand(PoolCommand.Destroy::new);
        assertEquals(Lifecycle.DESTROYED, okState(gone.reply(), PoolState.class).lifecycle());
        assertTrue(kit.<Reply>runCommand(PoolCommand.Destroy::new).hasNoEvents());
        assertEquals(Reply.Kind.NOT_FOUND, rejection(kit.<Reply>runCommand(PoolCommand.Get::new).reply()));
    }

    @Test
    void stateSurvivesRestartFromSnapshot() {
        kit.<Reply>runCommand(r -> new PoolCommand.Create(SPEC, r));
        kit.<Reply>runCommand(r -> new PoolCommand.SetStatus(Health.ONLINE, "", r));
        kit.<Reply>runCommand(r -> new PoolCommand.SetStatus(Health.DEGRADED, "slow", r));
        kit.<Reply>runCommand(r -> new PoolCommand.SetStatus(Health.FAULTED, "lost", r));
        PoolState before = kit.getState();
        kit.snapshotTestKit().orElseThrow().expectNextPersisted("Pool|" + id,
                new PoolState(id, Lifecycle.ACTIVE, SPEC, Health.DEGRADED, "slow"));
        assertEquals(before, kit.restart().state());
    }
}
