package io.caspian.control.entity.replica;

import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.replica.ReplicaCommand.Create;
import io.caspian.control.entity.replica.ReplicaCommand.Destroy;
import io.caspian.control.entity.replica.ReplicaCommand.Get;
import io.caspian.control.entity.replica.ReplicaCommand.SetStatus;
import io.caspian.control.entity.replica.ReplicaCommand.Share;
import io.caspian.control.entity.replica.ReplicaEvent.ReplicaCreated;
import io.caspian.control.entity.replica.ReplicaEvent.ReplicaDestroyed;
import io.caspian.control.entity.replica.ReplicaEvent.ReplicaShared;
import io.caspian.control.entity.replica.ReplicaEvent.ReplicaStatusChanged;
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
 * A replica the control plane decided to have. It is journaled before the io-engine is asked to create it, so a
 * replica found on an io-engine without an ACTIVE entity is an orphan that the reconciler may destroy.
 */
public final class ReplicaEntity extends EventSourcedBehavior<ReplicaCommand, ReplicaEvent, ReplicaState> {
    public static final EntityTypeKey<ReplicaCommand> TYPE_KEY = EntityTypeKey.create(ReplicaCommand.class, "Replica");
    public static final String TAG = "replica";

    private final String id;
    private final EntitySettings settings;

    private ReplicaEntity(String id, EntitySettings settings) {
        super(PersistenceId.of(TYPE_KEY.name(), id));
        this.id = id;
        this.settings = settings;
    }

    public static Behavior<ReplicaCommand> create(String id, EntitySettings settings) {
        return new ReplicaEntity(id, settings);
    }

    @Override
    public ReplicaState emptyState() {
        return ReplicaState.empty(id);
    }

    @Override
    public Set<String> tagsFor(ReplicaEvent event) {
        return Set.of(TAG);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return settings.retention();
    }

    @Override
    public CommandHandler<ReplicaCommand, ReplicaEvent, ReplicaState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Create.class, this::onCreate)
                .onCommand(Destroy.class, this::onDestroy)
                .onCommand(Get.class, (s, c) -> s.active()
                        ? Effect().reply(c.replyTo(), Reply.ok(s))
                        : Effect().reply(c.replyTo(), Reply.notFound("replica", id)))
                .onCommand(Share.class, this::onShare)
                .onCommand(SetStatus.class, this::onSetStatus)
                .build();
    }

    private Effect<ReplicaEvent, ReplicaState> onCreate(ReplicaState s, Create c) {
        String problem = c.spec().problem();
        if (problem != null) {
            return Effect().reply(c.replyTo(), Reply.invalid("replica '" + id + "': " + problem));
        }
        if (s.active()) {
            return s.spec().equals(c.spec())
                    ? Effect().reply(c.replyTo(), Reply.ok(s))
                    : Effect().reply(c.replyTo(), Reply.conflict("replica '" + id
                            + "' already exists with a different spec: " + s.spec()));
        }
        return Effect().persist(new ReplicaCreated(c.spec())).thenReply(c.replyTo(), Reply::ok);
    }

    private Effect<ReplicaEvent, ReplicaState> onDestroy(ReplicaState s, Destroy c) {
        return switch (s.lifecycle()) {
            case ABSENT -> Effect().reply(c.replyTo(), Reply.notFound("replica", id));
            case DESTROYED -> Effect().reply(c.replyTo(), Reply.ok(s));
            case ACTIVE -> Effect().persist(new ReplicaDestroyed()).thenReply(c.replyTo(), Reply::ok);
        };
    }

    private Effect<ReplicaEvent, ReplicaState> onShare(ReplicaState s, Share c) {
        if (!s.active()) {
            return Effect().reply(c.replyTo(), Reply.notFound("replica", id));
        }
        return s.share() == c.protocol() && s.uri().equals(c.uri())
                ? Effect().reply(c.replyTo(), Reply.ok(s))
                : Effect().persist(new ReplicaShared(c.protocol(), c.uri())).thenReply(c.replyTo(), Reply::ok);
    }

    private Effect<ReplicaEvent, ReplicaState> onSetStatus(ReplicaState s, SetStatus c) {
        if (!s.active()) {
            return Effect().reply(c.replyTo(), Reply.notFound("replica", id));
        }
        return s.status() == c.status()
                ? Effect().reply(c.replyTo(), Reply.ok(s))
                : Effect().persist(new ReplicaStatusChanged(c.status())).thenReply(c.replyTo(), Reply::ok);
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
