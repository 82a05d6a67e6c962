package io.caspian.control.entity;

import org.apache.pekko.actor.typed.ActorRef;

/** A command to an entity: every one is answered, so every one names where its {@link Reply} goes. */
public interface EntityCommand extends ControlMessage {
    ActorRef<Reply> replyTo();
}
