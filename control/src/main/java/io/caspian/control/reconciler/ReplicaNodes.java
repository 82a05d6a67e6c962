package io.caspian.control.reconciler;

import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.service.Entities;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The node of each replica one pass asks about, read from its entity once per pass. A replica's node is fixed when
 * it is created, so a pass may keep it; a pass read each replica entity up to five times before, which was most of
 * its asks. Not shared between passes or threads.
 */
final class ReplicaNodes {
    private final Entities entities;
    private final Map<String, Optional<String>> nodes = new HashMap<>();

    ReplicaNodes(Entities entities) {
        this.entities = entities;
    }

    /** The node of the replica; empty when it has no live entity (as of the first time this pass asked). */
    Optional<String> of(String replica) {
        return nodes.computeIfAbsent(replica, id -> entities.replica(id).map(r -> r.spec().node()));
    }

    /** Notes the nodes of replicas the pass has read anyway. */
    void know(List<ReplicaState> states) {
        states.forEach(r -> nodes.putIfAbsent(r.id(), Optional.of(r.spec().node())));
    }
}
