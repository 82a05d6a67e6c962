package io.caspian.control.entity.node;

import static io.caspian.control.entity.EntityTestKits.okState;
import static io.caspian.control.entity.EntityTestKits.rejection;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.entity.EntityTestKits;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.node.NodeEvent.NodeCordoned;
import io.caspian.control.entity.node.NodeEvent.NodeRegistered;
import io.caspian.control.entity.node.NodeEvent.NodeWentOffline;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NodeEntityTest {
    private static final ActorTestKit SYSTEM = EntityTestKits.system();
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private EventSourcedBehaviorTestKit<NodeCommand, NodeEvent, NodeState> kit;
    private String id;

    @BeforeEach
    void setUp() {
        id = "node-" + COUNTER.incrementAndGet();
        kit = EntityTestKits.of(SYSTEM, NodeEntity.create(id, EntityTestKits.SNAPSHOT_EVERY_3));
    }

    @AfterAll
    static void tearDown() {
        SYSTEM.shutdownTestKit();
    }

    @Test
    void registrationIsIdempotentAndANewEndpointUpdatesIt() {
        var first = kit.<Reply>runCommand(r -> new NodeCommand.Register("10.0.0.1:4420", Map.of("zone", "a"), r));
        assertEquals(List.of(new NodeRegistered("10.0.0.1:4420", Map.of("zone", "a"))), first.events());
        assertTrue(okState(first.reply(), NodeState.class).online());
        assertTrue(kit.<Reply>runCommand(r -> new NodeCommand.Register("10.0.0.1:4420", Map.of("zone", "a"), r))
                .hasNoEvents());
        var moved = kit.<Reply>runCommand(r -> new NodeCommand.Register("10.0.0.2:4420", Map.of("zone", "a"), r));
        assertEquals("10.0.0.2:4420", okState(moved.reply(), NodeState.class).endpoint());
        assertEquals(Reply.Kind.INVALID,
                rejection(kit.<Reply>runCommand(r -> new NodeCommand.Register(" ", Map.of(), r)).reply()));
    }

    @Test
    void onlineOfflineAndCordon() {
        assertEquals(Reply.Kind.NOT_FOUND, rejection(kit.<Reply>runCommand(NodeCommand.MarkOffline::new).reply()));
        kit.<Reply>runCommand(r -> new NodeCommand.Register("h:1", Map.of(), r));
        var off = kit.<Reply>runCommand(NodeCommand.MarkOffline::new);
        assertEquals(List.of(new NodeWentOffline()), off.events());
        assertFalse(okState(off.reply(), NodeState.class).online());
        assertTrue(kit.<Reply>runCommand(NodeCommand.MarkOffline::new).hasNoEvents());
        // The io-engine reporting again brings the node back online.
        var back = kit.<Reply>runCommand(r -> new NodeCommand.Register("h:1", Map.of(), r));
        assertTrue(okState(back.reply(), NodeState.class).online());
        var cordon = kit.<Reply>runCommand(NodeCommand.Cordon::new);
        assertEquals(List.of(new NodeCordoned()), cordon.events());
        assertTrue(kit.<Reply>runCommand(NodeCommand.Cordon::new).hasNoEvents());
        assertFalse(okState(kit.<Reply>runCommand(NodeCommand.Uncordon::new).reply(), NodeState.class).cordoned());
    }

    @Test
    void stateSurvivesRestart() {
        kit.<Reply>runCommand(r -> new NodeCommand.Register("h:1", Map.of("zone", "b"), r));
        kit.<Reply>runCommand(NodeCommand.Cordon::new);
        kit.<Reply>runCommand(NodeCommand.MarkOffline::new);
        kit.<Reply>runCommand(NodeCommand.MarkOnline::new);
        NodeState before = kit.getState();
        assertEquals(before, kit.restart().state());
    }
}
