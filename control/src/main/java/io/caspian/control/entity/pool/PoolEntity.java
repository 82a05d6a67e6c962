package io.caspian.control.entity.pool;

import io.caspian.control.entity.ControlEntity;
import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.pool.PoolCommand.Create;
import io.caspian.control.entity.pool.PoolCommand.Destroy;
import io.caspian.control.entity.pool.PoolCommand.Get;
import io.caspian.control.entity.pool.PoolCommand.SetStatus;
import io.caspian.control.entity.pool.PoolEvent.PoolCreated;
import io.caspian.control.entity.pool.PoolEvent.PoolDestroyed;
import io.caspian.control.entity.pool.PoolEvent.PoolStatusChanged;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;

/** A pool the user asked for; its id is the pool name, unique in the cluster. */
public final class PoolEntity extends ControlEntity<PoolCommand, PoolEvent, PoolState> {
    public static final EntityTypeKey<PoolCommand> TYPE_KEY = EntityTypeKey.create(PoolCommand.class, "Pool");
    public static final String TAG = "pool";

    private PoolEntity(String id, EntitySettings settings) {
        super(TYPE_KEY, id, TAG, settings);
    }

    public static Behavior<PoolCommand> create(String id, EntitySettings settings) {
        return new PoolEntity(id, settings);
    }

    @Override
    public PoolState emptyState() {
        return PoolState.empty(id);
    }

    @Override
    public CommandHandlerWithReply<PoolCommand, PoolEvent, PoolState> commandHandler() {
        return newCommandHandlerWithReplyBuilder().forAnyState()
                .onCommand(Create.class, (s, c) -> create(s, c, c.spec().problem(), () -> s.spec().equals(c.spec()),
                        () -> "pool '" + id + "' already exists on node '" + s.spec().node() + "' with disk "
                                + s.spec().disk() + " and labels " + s.spec().labels(),
                        () -> new PoolCreated(c.spec())))
                .onCommand(Destroy.class, (s, c) -> destroy(s, c, new PoolDestroyed()))
                .onCommand(Get.class, (s, c) -> active(s, c, () -> ok(s, c)))
                .onCommand(SetStatus.class, (s, c) -> active(s, c, () -> unlessAlready(
                        s.status() == c.status() && s.reason().equals(c.reason()), s, c,
                        () -> new PoolStatusChanged(c.status(), c.reason()))))
                .build();
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
