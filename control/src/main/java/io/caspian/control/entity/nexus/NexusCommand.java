package io.caspian.control.entity.nexus;

import io.caspian.control.entity.ControlMessage;
import io.caspian.control.entity.Reply;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import org.apache.pekko.actor.typed.ActorRef;

/** What may be asked of a Nexus; every command is answered with a {@link Reply}. */
public sealed interface NexusCommand extends ControlMessage {
    ActorRef<Reply> replyTo();

    record Create(NexusSpec spec, ActorRef<Reply> replyTo) implements NexusCommand {
    }

    record Destroy(ActorRef<Reply> replyTo) implements NexusCommand {
    }

    record Publish(Protocol protocol, String deviceUri, ActorRef<Reply> replyTo) implements NexusCommand {
    }

    record Unpublish(ActorRef<Reply> replyTo) implements NexusCommand {
    }

    record AddChild(Child child, ActorRef<Reply> replyTo) implements NexusCommand {
    }

    record RemoveChild(String uri, ActorRef<Reply> replyTo) implements NexusCommand {
    }

    /** Records a child state the io-engine reported (faulted, rebuilding, back in sync). */
    record SetChildState(String uri, ChildState state, String reason, ActorRef<Reply> replyTo)
            implements NexusCommand {
    }

    record SetStatus(Health status, ActorRef<Reply> replyTo) implements NexusCommand {
    }

    record Get(ActorRef<Reply> replyTo) implements NexusCommand {
    }

    /**
     * Applies record {@code seq} of an io-bus stream: ignored when the stream's mark is already at or past it,
     * otherwise persisted with the new mark. A non-empty {@code uri} carries the child state the io-engine reported.
     */
    record ApplyBus(String stream, long seq, String uri, ChildState state, String reason, ActorRef<Reply> replyTo)
            implements NexusCommand {
    }
}
