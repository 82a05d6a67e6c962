package io.caspian.control.entity.volume;

import io.caspian.control.entity.ControlEntity;
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
import io.caspian.events.Protocol;
import java.util.List;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * A volume's desired state. It records decisions (replicas added, published) but takes none: the reconciler and
 * the REST service decide, so that this stays a plain, replayable log of what the user and the cluster agreed.
 */
public final class VolumeEntity extends ControlEntity<VolumeCommand, VolumeEvent, VolumeState> {
    public static final EntityTypeKey<VolumeCommand> TYPE_KEY = EntityTypeKey.create(VolumeCommand.class, "Volume");
    public static final String TAG = "volume";

    private VolumeEntity(String id, EntitySettings settings) {
        super(TYPE_KEY, id, TAG, settings);
    }

    public static Behavior<VolumeCommand> create(String id, EntitySettings settings) {
        return new VolumeEntity(id, settings);
    }

    @Override
    public VolumeState emptyState() {
        return VolumeState.empty(id);
    }

    @Override
    public CommandHandlerWithReply<VolumeCommand, VolumeEvent, VolumeState> commandHandler() {
        return newCommandHandlerWithReplyBuilder().forAnyState()
                .onCommand(Create.class, (s, c) -> create(s, c, c.spec().problem(), () -> s.spec().equals(c.spec()),
                        () -> "volume '" + id + "' already exists with a different spec: " + s.spec(),
                        () -> new VolumeCreated(c.spec())))
                .onCommand(Destroy.class, (s, c) -> destroy(s, c, new VolumeDestroyed()))
                .onCommand(Get.class, (s, c) -> active(s, c, () -> ok(s, c)))
                .onCommand(SetReplicaCount.class, (s, c) -> active(s, c, () -> onSetReplicaCount(s, c)))
                .onCommand(AddReplica.class, (s, c) -> active(s, c, () -> unlessAlready(
                        s.replicas().contains(c.replica()), s, c, () -> new VolumeReplicaAdded(c.replica()))))
                .onCommand(RemoveReplica.class, (s, c) -> active(s, c, () -> unlessAlready(
                        !s.replicas().contains(c.replica()), s, c, () -> new VolumeReplicaRemoved(c.replica()))))
                .onCommand(Publish.class, (s, c) -> active(s, c, () -> onPublish(s, c)))
                .onCommand(Unpublish.class, (s, c) -> active(s, c, () -> unlessAlready(!s.published(), s, c,
                        VolumeUnpublished::new)))
                .onCommand(SetStatus.class, (s, c) -> active(s, c, () -> unlessAlready(
                        s.status() == c.status() && s.reason().equals(c.reason()), s, c,
                        () -> new VolumeStatusChanged(c.status(), c.reason()))))
                .build();
    }

    private ReplyEffect<VolumeEvent, VolumeState> onSetReplicaCount(VolumeState s, SetReplicaCount c) {
        String problem = VolumeSpec.replicaCountProblem(c.replicas());
        if (problem != null) {
            return invalid(c, problem);
        }
        return unlessAlready(s.spec().replicas() == c.replicas(), s, c, () -> new ReplicaCountChanged(c.replicas()));
    }

    private ReplyEffect<VolumeEvent, VolumeState> onPublish(VolumeState s, Publish c) {
        if (s.published()) {
            if (s.protocol() != c.protocol()) {
                return reject(c, Reply.Kind.CONFLICT, "volume '" + id + "' is already published over "
                        + s.protocol().name().toLowerCase() + " at " + s.deviceUri());
            }
            // Published again to other hosts (journaled: who may connect changed), or the target failed over to
            // another node: its new place and address are journaled, the same volume NQN.
            return unlessAlready(s.hosts().equals(c.hosts()) && s.targetNode().equals(c.node())
                    && s.deviceUri().equals(c.deviceUri()), s, c,
                    () -> new VolumePublished(s.nexus(), c.node(), s.protocol(), c.deviceUri(), c.hosts()));
        }
        return persist(new VolumePublished(c.nexus(), c.node(), c.protocol(), c.deviceUri(), c.hosts()), c);
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
                .onEvent(VolumeUnpublished.class, (s, e) -> s.withTarget("", "", Protocol.NONE, "", List.of()))
                .onEvent(VolumeStatusChanged.class, (s, e) -> s.withStatus(e.status(), e.reason()))
                .onEvent(VolumeDestroyed.class, (s, e) -> s.destroyed())
                .build();
    }
}
