package io.caspian.control.entity.pool;

import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.pool.PoolCommand.Create;
import io.caspian.control.entity.pool.PoolCommand.Destroy;
import io.caspian.control.entity.pool.PoolCommand.Get;
import io.caspian.control.entity.pool.PoolCommand.SetStatus;
import io.caspian.control.entity.pool.PoolEvent.PoolCreated;
import io.caspian.control.entity.pool.PoolEvent.PoolDestroyed;
import io.caspian.control.entity.pool.PoolEvent.PoolStatusChanged;
import java.util.Set;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/** A pool the user asked for; its id is the pool name, unique in the cluster. */
public final class PoolEntity extends EventSourcedBehavior<PoolCommand, PoolEvent, PoolState> {
    public static final EntityTypeKey<PoolCommand> TYPE_KEY = EntityTypeKey.create(PoolCommand.class, "Pool");
    public static final String TAG = "pool";

    private final String id;
    private final EntitySettings settings;

    private PoolEntity(String id, EntitySettings settings) {
        super(PersistenceId.of(TYPE_KEY.name(), id));
        this.id = id;
        this.settings = settings;
    }

    public static Behavior<PoolCommand> create(String id, EntitySettings settings) {
        return new PoolEntity(id, settings);
    }

    @Override
    public PoolState emptyState() {
        return PoolState.empty(id);
    }

    @Override
    public Set<String> tagsFor(PoolEvent event) {
        return Set.of(TAG);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return settings.retention();
    }

    @Override
    public CommandHandler<PoolCommand, PoolEvent, PoolState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Create.class, this::onCreate)
                .onCommand(Destroy.class, this::onDestroy)
                .onCommand(Get.class, (s, c) -> s.active()
                        ? Effect().reply(c.replyTo(), Reply.ok(s))
                        : Effect().reply(c.replyTo(), Reply.notFound("pool", id)))
                .onCommand(SetStatus.class, this::onSetStatus)
                .build();
    }

    private Effect<PoolEvent, PoolState> onCreate(PoolState s, Create c) {
        String problem = c.spec().problem();
        if (problem != null) {
            return Effect().reply(c.replyTo(), Reply.invalid("pool '" + id + "': " + problem));
        }
        if (s.active()) {
            return s.spec().equals(c.spec())
                    ? Effect().reply(c.replyTo(), Reply.ok(s))
                    : Effect().reply(c.replyTo(), Reply.conflict("pool '" + id + "' already exists on node '"
                            + s.spec().node() + "' with disk " + s.spec().disk() + " and labels " + s.spec().labels()));
        }
        return Effect().persist(new PoolCreated(c.spec())).thenReply(c.replyTo(), Reply::ok);
    }

    private Effect<PoolEvent, PoolState> onDestroy(PoolState s, Destroy c) {
        return switch (s.lifecycle()) {
            case ABSENT -> Effect().reply(c.replyTo(), Reply.notFound("pool", id));
            case DESTROYED -> Effect().reply(c.replyTo(), Reply.ok(s));
            case ACTIVE -> Effect().persist(new PoolDestroyed()).thenReply(c.replyTo(), Reply::ok);
        };
    }

    private Effect<PoolEvent, PoolState> onSetStatus(PoolState s, SetStatus c) {
        if (!s.active()) {
            return Effect().reply(c.replyTo(), Reply.notFound("pool", id));
        }
        return s.status() == c.status() && s.reason().equals(c.reason())
                ? Effect().reply(c.replyTo(), Reply.ok(s))
                : Effect().persist(new PoolStatusChanged(c.status(), c.reason())).thenReply(c.replyTo(), Reply::ok);
    }

    @Override
    public EventHandler<PoolState, PoolEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState()
                .onEvent(PoolCreated.class, (s, e) -> s.created(e.spec()))
                .onEvent(PoolStatusChanged.class, (s, e) -> s.withStatus(e.status(), e.reason()))
                .onEvent(PoolDestroyed.class, (s, e) -> s.destroyed())
                .build();
    }
}
