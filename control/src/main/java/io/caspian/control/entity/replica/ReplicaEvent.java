package io.caspian.control.entity.replica;

import io.caspian.control.entity.ControlMessage;
import io.caspian.events.Health;
import io.caspian.events.Protocol;

/** What happened to a Replica; journaled. */
public sealed interface ReplicaEvent extends ControlMessage {

    record ReplicaCreated(ReplicaSpec spec) implements ReplicaEvent {
    }

    record ReplicaShared(Protocol protocol, String uri) implements ReplicaEvent {
    }

    record ReplicaStatusChanged(Health status) implements ReplicaEvent {
    }

    record ReplicaDestroyed() implements ReplicaEvent {
    }
}
