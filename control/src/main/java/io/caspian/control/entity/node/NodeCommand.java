package io.caspian.control.entity.node;

import io.caspian.control.entity.EntityCommand;
import io.caspian.control.entity.Reply;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/** What may be asked of a Node; every command is answered with a {@link Reply}. */
public sealed interface NodeCommand extends EntityCommand {

    /** Sent when an io-engine reports; a new endpoint or label set updates the registration. */
    record Register(String endpoint, Map<String, String> labels, ActorRef<Reply> replyTo) implements NodeCommand {
        public Register {
            labels = Map.copyOf(labels);
        }
    }

    record MarkOnline(ActorRef<Reply> replyTo) implements NodeCommand {
    }

    record MarkOffline(ActorRef<Reply> replyTo) implements NodeCommand {
    }

    record Cordon(ActorRef<Reply> replyTo) implements NodeCommand {
    }

    record Uncordon(ActorRef<Reply> replyTo) implements NodeCommand {
    }

    record Get(ActorRef<Reply> replyTo) implements NodeCommand {
    }
}
