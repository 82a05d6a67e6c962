package io.caspian.control.entity.volume;

import io.caspian.control.entity.ControlMessage;
import io.caspian.events.Health;
import io.caspian.events.Protocol;

/** What happened to a Volume; journaled. */
public sealed interface VolumeEvent extends ControlMessage {

    record VolumeCreated(VolumeSpec spec) implements VolumeEvent {
    }

    record ReplicaCountChanged(int replicas) implements VolumeEvent {
    }

    record VolumeReplicaAdded(String replica) implements VolumeEvent {
    }

    record VolumeReplicaRemoved(String replica) implements VolumeEvent {
    }

    record VolumePublished(String nexus, String node, Protocol protocol, String deviceUri) implements VolumeEvent {
    }

    record VolumeUnpublished() implements VolumeEvent {
    }

    record VolumeStatusChanged(Health status, String reason) implements VolumeEvent {
    }

    record VolumeDestroyed() implements VolumeEvent {
    }
}
