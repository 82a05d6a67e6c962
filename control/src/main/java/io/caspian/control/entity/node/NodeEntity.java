package io.caspian.control.entity.node;

import io.caspian.control.entity.ControlEntity;
import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.node.NodeCommand.Cordon;
import io.caspian.control.entity.node.NodeCommand.Get;
import io.caspian.control.entity.node.NodeCommand.MarkOffline;
import io.caspian.control.entity.node.NodeCommand.MarkOnline;
import io.caspian.control.entity.node.NodeCommand.Register;
import io.caspian.control.entity.node.NodeCommand.Uncordon;
import io.caspian.control.entity.node.NodeEvent.NodeCameOnline;
import io.caspian.control.entity.node.NodeEvent.NodeCordoned;
import io.caspian.control.entity.node.NodeEvent.NodeRegistered;
import io.caspian.control.entity.node.NodeEvent.NodeUncordoned;
import io.caspian.control.entity.node.NodeEvent.NodeWentOffline;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/** A node, registered by its io-engine's first report; online and offline follow cluster membership. */
public final class NodeEntity extends ControlEntity<NodeCommand, NodeEvent, NodeState> {
    public static final EntityTypeKey<NodeCommand> TYPE_KEY = EntityTypeKey.create(NodeCommand.class, "Node");
    public static final String TAG = "node";

    private NodeEntity(String id, EntitySettings settings) {
        super(TYPE_KEY, id, TAG, settings);
    }

    public static Behavior<NodeCommand> create(String id, EntitySettings settings) {
        return new NodeEntity(id, settings);
    }

    @Override
    public NodeState emptyState() {
        return NodeState.empty(id);
    }

    @Override
    public CommandHandlerWithReply<NodeCommand, NodeEvent, NodeState> commandHandler() {
        return newCommandHandlerWithReplyBuilder().forAnyState()
                .onCommand(Register.class, this::onRegister)
                .onCommand(Get.class, (s, c) -> active(s, c, () -> ok(s, c)))
                .onCommand(MarkOnline.class, (s, c) -> active(s, c, () -> unlessAlready(s.online(), s, c,
                        NodeCameOnline::new)))
                .onCommand(MarkOffline.class, (s, c) -> active(s, c, () -> unlessAlready(!s.online(), s, c,
                        NodeWentOffline::new)))
                .onCommand(Cordon.class, (s, c) -> active(s, c, () -> unlessAlready(s.cordoned(), s, c,
                        NodeCordoned::new)))
                .onCommand(Uncordon.class, (s, c) -> active(s, c, () -> unlessAlready(!s.cordoned(), s, c,
                        NodeUncordoned::new)))
                .build();
    }

    private ReplyEffect<NodeEvent, NodeState> onRegister(NodeState s, Register c) {
        if (c.endpoint().isBlank()) {
            return invalid(c, "endpoint must not be empty");
        }
        if (s.active() && s.endpoint().equals(c.endpoint()) && s.labels().equals(c.labels())) {
            return unlessAlready(s.online(), s, c, NodeCameOnline::new);
        }
        return persist(new NodeRegistered(c.endpoint(), c.labels()), c);
    }

    @Override
    public EventHandler<NodeState, NodeEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState()
                .onEvent(NodeRegistered.class, (s, e) -> s.registered(e.endpoint(), e.labels()))
                .onEvent(NodeCameOnline.class, (s, e) -> s.withOnline(true))
                .onEvent(NodeWentOffline.class, (s, e) -> s.withOnline(false))
                .onEvent(NodeCordoned.class, (s, e) -> s.withCordoned(true))
                .onEvent(NodeUncordoned.class, (s, e) -> s.withCordoned(false))
                .build();
    }
}
