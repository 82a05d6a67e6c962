package io.caspian.control.entity.pool;

import io.caspian.control.entity.EntityCommand;
import io.caspian.control.entity.Reply;
import io.caspian.events.Health;
import org.apache.pekko.actor.typed.ActorRef;

/** What may be asked of a Pool; every command is answered with a {@link Reply}. */
public sealed interface PoolCommand extends EntityCommand {

    record Create(PoolSpec spec, ActorRef<Reply> replyTo) implements PoolCommand {
    }

    record Destroy(ActorRef<Reply> replyTo) implements PoolCommand {
    }

    record SetStatus(Health status, String reason, ActorRef<Reply> replyTo) implements PoolCommand {
    }

    record Get(ActorRef<Reply> replyTo) implements PoolCommand {
    }
}
