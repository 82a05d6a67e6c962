package io.caspian.control.entity.pool;

import io.caspian.control.entity.EntityState;
import io.caspian.control.entity.Lifecycle;
import io.caspian.events.Health;
import java.util.Map;

/** A pool as the control plane wants it, with the health last seen and why it is not Online (empty when it is). */
public record PoolState(String id, Lifecycle lifecycle, PoolSpec spec, Health status, String reason)
        implements EntityState {
    public static PoolState empty(String id) {
        return new PoolState(id, Lifecycle.ABSENT, new PoolSpec("", "", Map.of()), Health.UNKNOWN, "");
    }

    PoolState created(PoolSpec s) {
        return new PoolState(id, Lifecycle.ACTIVE, s, Health.UNKNOWN, "");
    }

    PoolState withStatus(Health h, String why) {
        return new PoolState(id, lifecycle, spec, h, why);
    }

    PoolState destroyed() {
        return new PoolState(id, Lifecycle.DESTROYED, spec, Health.UNKNOWN, "");
    }
}
