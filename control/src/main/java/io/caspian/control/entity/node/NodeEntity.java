package io.caspian.control.entity.node;

import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.Reply;
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
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/** A node, registered by its io-engine's first report; online and offline follow cluster membership. */
public final class NodeEntity extends EventSourcedBehavior<NodeCommand, NodeEvent, NodeState> {
    public static final EntityTypeKey<NodeCommand> TYPE_KEY = EntityTypeKey.create(NodeCommand.class, "Node");
    public static final String TAG = "node";

    private final String id;
    private final EntitySettings settings;

    private NodeEntity(String id, EntitySettings settings) {
        super(PersistenceId.of(TYPE_KEY.name(), id));
        this.id = id;
        this.settings = settings;
    }

    public static Behavior<NodeCommand> create(String id, EntitySettings settings) {
        return new NodeEntity(id, settings);
    }

    @Override
    public NodeState emptyState() {
        return NodeState.empty(id);
    }

    @Override
    public Set<String> tagsFor(NodeEvent event) {
        return Set.of(TAG);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return settings.retention();
    }

    @Override
    public CommandHandler<NodeCommand, NodeEvent, NodeState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Register.class, this::onRegister)
                .onCommand(Get.class, (s, c) -> active(s, c, () -> Effect().reply(c.replyTo(), Reply.ok(s))))
                .onCommand(MarkOnline.class, (s, c) -> active(s, c, () -> s.online()
                        ? Effect().reply(c.replyTo(), Reply.ok(s)) : persist(new NodeCameOnline(), c)))
                .onCommand(MarkOffline.class, (s, c) -> active(s, c, () -> !s.online()
                        ? Effect().reply(c.replyTo(), Reply.ok(s)) : persist(new NodeWentOffline(), c)))
                .onCommand(Cordon.class, (s, c) -> active(s, c, () -> s.cordoned()
                        ? Effect().reply(c.replyTo(), Reply.ok(s)) : persist(new NodeCordoned(), c)))
                .onCommand(Uncordon.class, (s, c) -> active(s, c, () -> !s.cordoned()
                        ? Effect().reply(c.replyTo(), Reply.ok(s)) : persist(new NodeUncordoned(), c)))
                .build();
    }

    private Effect<NodeEvent, NodeState> onRegister(NodeState s, Register c) {
        if (c.endpoint().isBlank()) {
            return Effect().reply(c.replyTo(), Reply.invalid("node '" + id + "': endpoint must not be empty"));
        }
        if (s.active() && s.endpoint().equals(c.endpoint()) && s.labels().equals(c.labels())) {
            return s.online() ? Effect().reply(c.replyTo(), Reply.ok(s)) : persist(new NodeCameOnline(), c);
        }
        return persist(new NodeRegistered(c.endpoint(), c.labels()), c);
    }

    private Effect<NodeEvent, NodeState> active(NodeState s, NodeCommand c, Supplier<Effect<NodeEvent, NodeState>> f) {
        return s.active() ? f.get() : Effect().reply(c.replyTo(), Reply.notFound("node", id));
    }

    private Effect<NodeEvent, NodeState> persist(NodeEvent e, NodeCommand c) {
        return Effect().persist(e).thenReply(c.replyTo(), Reply::ok);
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
