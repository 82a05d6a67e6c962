package io.caspian.control.reconciler;

import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.observed.Inventory;
import io.caspian.control.service.LossTimeouts;
import io.caspian.events.Health;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.util.Optional;

/**
 * What the reconcilers count as positive evidence against a replica or a node. Only a fresh report of an Online
 * node, or a node Offline for a set time, is evidence; a missing, stale or unknown report never is: the replica may
 * still be there and hold the only copy of an acknowledged write.
 */
final class Evidence {
    private final Inventory inventory;
    private final LossTimeouts timeouts;

    Evidence(Inventory inventory, LossTimeouts timeouts) {
        this.inventory = inventory;
        this.timeouts = timeouts;
    }

    /**
     * Why this replica can no longer be counted on, or null. Only positive evidence counts: a fresh report of its
     * node (see {@link Inventory}) in which its pool is open and Online and does not list it. An offline node, an
     * unknown node, a stale report or a pool still importing are no reason: the replica may be there.
     */
    String lost(ReplicaState r) {
        if (!nodeOnline(r.spec().node()) || inventory.recentlyCreated(r.id())) {
            return null;
        }
        boolean poolOnline = inventory.poolOnline(r.spec().node(), r.spec().pool());
        boolean replicaThere = inventory.replica(r.id()).isPresent();
        return poolOnline && !replicaThere ? "its pool " + r.spec().pool() + " no longer holds it" : null;
    }

    /** Whether a fresh report of the replica's node lists it (a stale or missing report proves nothing). */
    boolean reachable(ReplicaState r) {
        return nodeOnline(r.spec().node()) && inventory.replica(r.id()).isPresent();
    }

    /**
     * Why a child cannot keep up, or null: its replica's own io-engine reports it Faulted (its pool's disk failed),
     * or its io-engine has been Offline for the node timeout. A child on an Offline node that no I/O touched would
     * otherwise stay Online in the nexus, and the volume with it, for as long as the node stays away.
     */
    String against(Child c, ReplicaNodes nodes) {
        Optional<Inventory.On<ReplicaInfo>> faulted = inventory.replica(c.replica())
                .filter(o -> nodeOnline(o.node()) && o.info().status() == Health.FAULTED);
        if (faulted.isPresent()) {
            return "replica " + c.replica() + " is Faulted on node " + faulted.get().node() + " (pool "
                    + faulted.get().info().pool() + " " + inventory.pool(faulted.get().node(),
                    faulted.get().info().pool()).map(PoolInfo::status).orElse(Health.UNKNOWN) + ")";
        }
        return nodes.of(c.replica()).filter(this::nodeLost)
                .map(node -> "node " + node + " has been offline for more than the node timeout ("
                        + timeouts.node().toSeconds() + " s)").orElse(null);
    }

    /** Whether the replica's node is Offline (positive evidence it is gone), however briefly. */
    boolean replicaNodeOffline(String replica, ReplicaNodes nodes) {
        return nodes.of(replica).flatMap(inventory::node)
                .map(o -> o.health() == Inventory.NodeHealth.OFFLINE).orElse(false);
    }

    /** Whether the node has been Offline for the node timeout: its replicas are given up on. */
    boolean nodeLost(String node) {
        return inventory.offlineFor(node, timeouts.node());
    }

    /** Whether the nexus's node has been Offline for the failover timeout: its target moves. */
    boolean targetLost(String node) {
        return inventory.offlineFor(node, timeouts.failover());
    }

    /** Whether a fresh report of the node is here and the node is Online. */
    boolean nodeOnline(String node) {
        return inventory.online(node);
    }
}
