package io.caspian.control.entity.nexus;

import io.caspian.control.entity.ControlMessage;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;

/** What happened to a Nexus; journaled. */
public sealed interface NexusEvent extends ControlMessage {

    record NexusCreated(NexusSpec spec) implements NexusEvent {
    }

    record NexusPublished(Protocol protocol, String deviceUri) implements NexusEvent {
    }

    record NexusUnpublished() implements NexusEvent {
    }

    record ChildAdded(Child child) implements NexusEvent {
    }

    record ChildRemoved(String uri) implements NexusEvent {
    }

    record ChildFaulted(String uri, String reason) implements NexusEvent {
    }

    /** Out of sync (being rebuilt): takes writes, serves no reads. */
    record ChildDegraded(String uri, String reason) implements NexusEvent {
    }

    record ChildOnline(String uri) implements NexusEvent {
    }

    record NexusStatusChanged(Health status) implements NexusEvent {
    }

    record NexusDestroyed() implements NexusEvent {
    }

    /** An io-bus record was applied: its stream's new mark and, with a {@code uri}, the child state it carried. */
    record BusApplied(String stream, long seq, String uri, ChildState state, String reason) implements NexusEvent {
    }
}
