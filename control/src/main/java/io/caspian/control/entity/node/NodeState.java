package io.caspian.control.entity.node;

import io.caspian.control.entity.EntityState;
import io.caspian.control.entity.Lifecycle;
import java.util.Map;

/** A node: where its NVMe/TCP target listens, its topology labels, whether it is up, whether it takes new work. */
public record NodeState(String id, Lifecycle lifecycle, String endpoint, Map<String, String> labels, boolean online,
                        boolean cordoned) implements EntityState {
    public NodeState {
        labels = Map.copyOf(labels);
    }

    public static NodeState empty(String id) {
        return new NodeState(id, Lifecycle.ABSENT, "", Map.of(), false, false);
    }

    NodeState registered(String endpoint, Map<String, String> labels) {
        return new NodeState(id, Lifecycle.ACTIVE, endpoint, labels, true, cordoned);
    }

    NodeState withOnline(boolean on) {
        return new NodeState(id, lifecycle, endpoint, labels, on, cordoned);
    }

    NodeState withCordoned(boolean c) {
        return new NodeState(id, lifecycle, endpoint, labels, online, c);
    }
}
