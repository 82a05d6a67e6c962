package io.caspian.control.entity.replica;

import io.caspian.control.entity.EntityState;
import io.caspian.control.entity.Lifecycle;
import io.caspian.events.Health;
import io.caspian.events.Protocol;

/** A replica: its spec, how it is shared (uri is what a nexus uses to reach it), its health. */
public record ReplicaState(String id, Lifecycle lifecycle, ReplicaSpec spec, Protocol share, String uri,
                           Health status) implements EntityState {
    public static ReplicaState empty(String id) {
        return new ReplicaState(id, Lifecycle.ABSENT, new ReplicaSpec("", "", 0, false, ""), Protocol.NONE, "",
                Health.UNKNOWN);
    }

    ReplicaState created(ReplicaSpec s) {
        return new ReplicaState(id, Lifecycle.ACTIVE, s, Protocol.NONE, "bdev:///" + id, Health.UNKNOWN);
    }

    ReplicaState shared(Protocol p, String u) {
        return new ReplicaState(id, lifecycle, spec, p, u, status);
    }

    ReplicaState withStatus(Health h) {
        return new ReplicaState(id, lifecycle, spec, share, uri, h);
    }

    ReplicaState destroyed() {
        return new ReplicaState(id, Lifecycle.DESTROYED, spec, Protocol.NONE, "", Health.UNKNOWN);
    }
}
