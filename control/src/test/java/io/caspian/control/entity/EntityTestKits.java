package io.caspian.control.entity;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/** An actor system on the in-memory persistence testkit, and behaviour testkits that verify serialization. */
public final class EntityTestKits {
    /** Small enough that a handful of commands take a snapshot. */
    public static final EntitySettings SNAPSHOT_EVERY_3 = new EntitySettings(3, 2);

    private EntityTestKits() {
    }

    public static ActorTestKit system() {
        return ActorTestKit.create(EventSourcedBehaviorTestKit.config()
                .withFallback(ConfigFactory.parseString("pekko.loglevel = WARNING"))
                .withFallback(ConfigFactory.load()));
    }

    /** Every command, event, state and reply goes through the protobuf serializer and must come back equal. */
    public static <C, E, S> EventSourcedBehaviorTestKit<C, E, S> of(ActorTestKit system, Behavior<C> behavior) {
        return EventSourcedBehaviorTestKit.create(system.system(), behavior,
                EventSourcedBehaviorTestKit.enabledSerializationSettings());
    }

    public static <S extends EntityState> S okState(Reply reply, Class<S> type) {
        if (reply instanceof Reply.Ok ok) {
            return type.cast(ok.state());
        }
        throw new AssertionError("expected Ok, got " + reply);
    }

    public static Reply.Kind rejection(Reply reply) {
        if (reply instanceof Reply.Rejected r) {
            return r.kind();
        }
        throw new AssertionError("expected a rejection, got " + reply);
    }
}
