package io.caspian.control.entity.nexus;

import io.caspian.control.entity.ControlMessage;
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

    /** Out of the I/O path. {@code mark}: the io-bus record that said so, {@link BusMark#NONE} otherwise. */
    record ChildFaulted(String uri, String reason, BusMark mark) implements NexusEvent {
    }

    /** Out of sync (being rebuilt): takes writes, serves no reads. */
    record ChildDegraded(String uri, String reason, BusMark mark) implements NexusEvent {
    }

    record ChildOnline(String uri, BusMark mark) implements NexusEvent {
    }

    /** A rebuild onto {@code uri} began, copying from {@code source} (empty when a state report showed it). */
    record RebuildStarted(String uri, String source, boolean partial, BusMark mark) implements NexusEvent {
    }

    record RebuildFinished(String uri, RebuildResult result, String cause, BusMark mark) implements NexusEvent {
    }

    record NexusStatusChanged(Health status) implements NexusEvent {
    }

    record NexusDestroyed() implements NexusEvent {
    }
}
