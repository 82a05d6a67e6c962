package io.caspian.control.entity.replica;

import io.caspian.control.entity.EntityCommand;
import io.caspian.control.entity.Reply;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import org.apache.pekko.actor.typed.ActorRef;

/** What may be asked of a Replica; every command is answered with a {@link Reply}. */
public sealed interface ReplicaCommand extends EntityCommand {

    record Create(ReplicaSpec spec, ActorRef<Reply> replyTo) implements ReplicaCommand {
    }

    record Destroy(ActorRef<Reply> replyTo) implements ReplicaCommand {
    }

    /** Records a share the io-engine made, with the URI it answered. */
    record Share(Protocol protocol, String uri, ActorRef<Reply> replyTo) implements ReplicaCommand {
    }

    record SetStatus(Health status, ActorRef<Reply> replyTo) implements ReplicaCommand {
    }

    record Get(ActorRef<Reply> replyTo) implements ReplicaCommand {
    }
}
