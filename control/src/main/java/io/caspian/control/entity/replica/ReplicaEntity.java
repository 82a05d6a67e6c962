package io.caspian.control.entity.replica;

import io.caspian.control.entity.ControlEntity;
import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.replica.ReplicaCommand.Create;
import io.caspian.control.entity.replica.ReplicaCommand.Destroy;
import io.caspian.control.entity.replica.ReplicaCommand.Get;
import io.caspian.control.entity.replica.ReplicaCommand.SetStatus;
import io.caspian.control.entity.replica.ReplicaCommand.Share;
import io.caspian.control.entity.replica.ReplicaEvent.ReplicaCreated;
import io.caspian.control.entity.replica.ReplicaEvent.ReplicaDestroyed;
import io.caspian.control.entity.replica.ReplicaEvent.ReplicaShared;
import io.caspian.control.entity.replica.ReplicaEvent.ReplicaStatusChanged;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;

/**
 * A replica the control plane decided to have. It is journaled before the io-engine is asked to create it, so a
 * replica found on an io-engine without an ACTIVE entity is an orphan that the reconciler may destroy.
 */
public final class ReplicaEntity extends ControlEntity<ReplicaCommand, ReplicaEvent, ReplicaState> {
    public static final EntityTypeKey<ReplicaCommand> TYPE_KEY = EntityTypeKey.create(ReplicaCommand.class, "Replica");
    public static final String TAG = "replica";

    private ReplicaEntity(String id, EntitySettings settings) {
        super(TYPE_KEY, id, TAG, settings);
    }

    public static Behavior<ReplicaCommand> create(String id, EntitySettings settings) {
        return new ReplicaEntity(id, settings);
    }

    @Override
    public ReplicaState emptyState() {
        return ReplicaState.empty(id);
    }

    @Override
    public CommandHandlerWithReply<ReplicaCommand, ReplicaEvent, ReplicaState> commandHandler() {
        return newCommandHandlerWithReplyBuilder().forAnyState()
                .onCommand(Create.class, (s, c) -> create(s, c, c.spec().problem(), () -> s.spec().equals(c.spec()),
                        () -> "replica '" + id + "' already exists with a different spec: " + s.spec(),
                        () -> new ReplicaCreated(c.spec())))
                .onCommand(Destroy.class, (s, c) -> destroy(s, c, new ReplicaDestroyed()))
                .onCommand(Get.class, (s, c) -> active(s, c, () -> ok(s, c)))
                .onCommand(Share.class, (s, c) -> active(s, c, () -> unlessAlready(
                        s.share() == c.protocol() && s.uri().equals(c.uri()), s, c,
                        () -> new ReplicaShared(c.protocol(), c.uri()))))
                .onCommand(SetStatus.class, (s, c) -> active(s, c, () -> unlessAlready(s.status() == c.status(), s, c,
                        () -> new ReplicaStatusChanged(c.status()))))
                .build();
    }

    @Override
    public EventHandler<ReplicaState, ReplicaEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState()
                .onEvent(ReplicaCreated.class, (s, e) -> s.created(e.spec()))
                .onEvent(ReplicaShared.class, (s, e) -> s.shared(e.protocol(), e.uri()))
                .onEvent(ReplicaStatusChanged.class, (s, e) -> s.withStatus(e.status()))
                .onEvent(ReplicaDestroyed.class, (s, e) -> s.destroyed())
                .build();
    }
}
