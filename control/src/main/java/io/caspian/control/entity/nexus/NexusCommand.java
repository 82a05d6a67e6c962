package io.caspian.control.entity.nexus;

import io.caspian.control.entity.EntityCommand;
import io.caspian.control.entity.Reply;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import org.apache.pekko.actor.typed.ActorRef;

/** What may be asked of a Nexus; every command is answered with a {@link Reply}. */
public sealed interface NexusCommand extends EntityCommand {

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

    /**
     * Records a child state the io-engine reported (faulted, rebuilding, back in sync), by whichever channel: a
     * bus record carries its {@code mark} and is ignored when its stream's mark already covers it.
     */
    record SetChildState(String uri, ChildState state, String reason, BusMark mark, ActorRef<Reply> replyTo)
            implements NexusCommand {
        public SetChildState(String uri, ChildState state, String reason, ActorRef<Reply> replyTo) {
            this(uri, state, reason, BusMark.NONE, replyTo);
        }
    }

    /** Journals that a rebuild onto {@code uri} runs, unless it is already known to. */
    record NoteRebuildStarted(String uri, String source, boolean partial, BusMark mark, ActorRef<Reply> replyTo)
            implements NexusCommand {
    }

    /** Journals that the rebuild onto {@code uri} ended, unless none is known to run. */
    record NoteRebuildFinished(String uri, RebuildResult result, String cause, BusMark mark, ActorRef<Reply> replyTo)
            implements NexusCommand {
    }

    record SetStatus(Health status, ActorRef<Reply> replyTo) implements NexusCommand {
    }

    record Get(ActorRef<Reply> replyTo) implements NexusCommand {
    }
}
