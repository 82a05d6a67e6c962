package io.caspian.control.entity.volume;

import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.volume.VolumeCommand.AddReplica;
import io.caspian.control.entity.volume.VolumeCommand.Create;
import io.caspian.control.entity.volume.VolumeCommand.Destroy;
import io.caspian.control.entity.volume.VolumeCommand.Get;
import io.caspian.control.entity.volume.VolumeCommand.Publish;
import io.caspian.control.entity.volume.VolumeCommand.RemoveReplica;
import io.caspian.control.entity.volume.VolumeCommand.SetReplicaCount;
import io.caspian.control.entity.volume.VolumeCommand.SetStatus;
import io.caspian.control.entity.volume.VolumeCommand.Unpublish;
import io.caspian.control.entity.volume.VolumeEvent.ReplicaCountChanged;
import io.caspian.control.entity.volume.VolumeEvent.VolumeCreated;
import io.caspian.control.entity.volume.VolumeEvent.VolumeDestroyed;
import io.caspian.control.entity.volume.VolumeEvent.VolumePublished;
import io.caspian.control.entity.volume.VolumeEvent.VolumeReplicaAdded;
import io.caspian.control.entity.volume.VolumeEvent.VolumeReplicaRemoved;
import io.caspian.control.entity.volume.VolumeEvent.VolumeStatusChanged;
import io.caspian.control.entity.volume.VolumeEvent.VolumeUnpublished;
import java.util.Set;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * A volume's desired state. It records decisions (replicas added, published) but takes none: the reconciler and
 * the REST service decide, so that this stays a plain, replayable log of what the user and the cluster agreed.
 */
public final class VolumeEntity extends EventSourcedBehavior<VolumeCommand, VolumeEvent, VolumeState> {
    public static final EntityTypeKey<VolumeCommand> TYPE_KEY = EntityTypeKey.create(VolumeCommand.class, "Volume");
    public static final String TAG = "volume";

    private final String id;
    private final EntitySettings settings;

    private VolumeEntity(String id, EntitySettings settings) {
        super(PersistenceId.of(TYPE_KEY.name(), id));
        this.id = id;
        this.settings = settings;
    }

    public static Behavior<VolumeCommand> create(String id, EntitySettings settings) {
        return new VolumeEntity(id, settings);
    }

    @Override
    public VolumeState emptyState() {
        return VolumeState.empty(id);
    }

    @Override
    public Set<String> tagsFor(VolumeEvent event) {
        return Set.of(TAG);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return settings.retention();
    }

    @Override
    public CommandHandler<VolumeCommand, VolumeEvent, VolumeState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Create.class, this::onCreate)
                .onCommand(Destroy.class, this::onDestroy)
                .onCommand(Get.class, (s, c) -> active(s, c, () -> Effect().reply(c.replyTo(), Reply.ok(s))))
                .onCommand(SetReplicaCount.class, (s, c) -> active(s, c, () -> onSetReplicaCount(s, c)))
                .onCommand(AddReplica.class, (s, c) -> active(s, c, () -> s.replicas().contains(c.replica())
                        ? Effect().reply(c.replyTo(), Reply.ok(s))
                        : persist(new VolumeReplicaAdded(c.replica()), c)))
                .onCommand(RemoveReplica.class, (s, c) -> active(s, c, () -> !s.replicas().contains(c.replica())
                        ? Effect().reply(c.replyTo(), Reply.ok(s))
                        : persist(new VolumeReplicaRemoved(c.replica()), c)))
                .onCommand(Publish.class, (s, c) -> active(s, c, () -> onPublish(s, c)))
                .onCommand(Unpublish.class, (s, c) -> active(s, c, () -> !s.published()
                        ? Effect().reply(c.replyTo(), Reply.ok(s))
                        : persist(new VolumeUnpublished(), c)))
                .onCommand(SetStatus.class, (s, c) -> active(s, c, () -> s.status() == c.status()
                        && s.reason().equals(c.reason())
                        ? Effect().reply(c.replyTo(), Reply.ok(s))
                        : persist(new VolumeStatusChanged(c.status(), c.reason()), c)))
                .build();
    }

    private Effect<VolumeEvent, VolumeState> onCreate(VolumeState s, Create c) {
        String problem = c.spec().problem();
        if (problem != null) {
            return Effect().reply(c.replyTo(), Reply.invalid("volume '" + id + "': " + problem));
        }
        if (s.active()) {
            return s.spec().equals(c.spec())
                    ? Effect().reply(c.replyTo(), Reply.ok(s))
                    : Effect().reply(c.replyTo(), Reply.conflict("volume '" + id
                            + "' already exists with a different spec: " + s.spec()));
        }
        return persist(new VolumeCreated(c.spec()), c);
    }

    private Effect<VolumeEvent, VolumeState> onDestroy(VolumeState s, Destroy c) {
        return switch (s.lifecycle()) {
            case ABSENT -> Effect().reply(c.replyTo(), Reply.notFound("volume", id));
            case DESTROYED -> Effect().reply(c.replyTo(), Reply.ok(s));
            case ACTIVE -> persist(new VolumeDestroyed(), c);
        };
    }

    private Effect<VolumeEvent, VolumeState> onSetReplicaCount(VolumeState s, SetReplicaCount c) {
        if (c.replicas() < 1) {
            return Effect().reply(c.replyTo(), Reply.invalid("replica count must be at least 1, got " + c.replicas()));
        }
        return s.spec().replicas() == c.replicas()
                ? Effect().reply(c.replyTo(), Reply.ok(s))
                : persist(new ReplicaCountChanged(c.replicas()), c);
    }

    private Effect<VolumeEvent, VolumeState> onPublish(VolumeState s, Publish c) {
        if (s.published()) {
            if (s.protocol() != c.protocol()) {
                return Effect().reply(c.replyTo(), Reply.conflict("volume '" + id + "' is already published over "
                        + s.protocol().name().toLowerCase() + " at " + s.deviceUri()));
            }
            // Published again to other hosts: the same target, a new list (journaled: who may connect changed).
            return s.hosts().equals(c.hosts()) ? Effect().reply(c.replyTo(), Reply.ok(s))
                    : persist(new VolumePublished(s.nexus(), s.targetNode(), s.protocol(), s.deviceUri(), c.hosts()),
                            c);
        }
        return persist(new VolumePublished(c.nexus(), c.node(), c.protocol(), c.deviceUri(), c.hosts()), c);
    }

    private Effect<VolumeEvent, VolumeState> active(VolumeState s, VolumeCommand c,
                                                     java.util.function.Supplier<Effect<VolumeEvent, VolumeState>> f) {
        return s.active() ? f.get() : Effect().reply(c.replyTo(), Reply.notFound("volume", id));
    }

    private Effect<VolumeEvent, VolumeState> persist(VolumeEvent e, VolumeCommand c) {
        return Effect().persist(e).thenReply(c.replyTo(), Reply::ok);
    }

    @Override
    public EventHandler<VolumeState, VolumeEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState()
                .onEvent(VolumeCreated.class, (s, e) -> s.created(e.spec()))
                .onEvent(ReplicaCountChanged.class, (s, e) -> s.withReplicaCount(e.replicas()))
                .onEvent(VolumeReplicaAdded.class, (s, e) -> s.withReplica(e.replica(), true))
                .onEvent(VolumeReplicaRemoved.class, (s, e) -> s.withReplica(e.replica(), false))
                .onEvent(VolumePublished.class, (s, e) -> s.withTarget(e.nexus(), e.node(), e.protocol(),
                        e.deviceUri(), e.hosts()))
                .onEvent(VolumeUnpublished.class, (s, e) -> s.withTarget("", "", io.caspian.events.Protocol.NONE, "",
                        java.util.List.of()))
                .onEvent(VolumeStatusChanged.class, (s, e) -> s.withStatus(e.status(), e.reason()))
                .onEvent(VolumeDestroyed.class, (s, e) -> s.destroyed())
                .build();
    }
}
