package io.caspian.control.entity.volume;

import io.caspian.control.entity.ControlMessage;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import java.util.List;

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

    /** {@code hosts}: the host NQNs that may connect to the target (sorted); empty: any host. */
    record VolumePublished(String nexus, String node, Protocol protocol, String deviceUri, List<String> hosts)
            implements VolumeEvent {
        public VolumePublished {
            hosts = List.copyOf(hosts);
        }
    }

    record VolumeUnpublished() implements VolumeEvent {
    }

    record VolumeStatusChanged(Health status, String reason) implements VolumeEvent {
    }

    record VolumeDestroyed() implements VolumeEvent {
    }
}
