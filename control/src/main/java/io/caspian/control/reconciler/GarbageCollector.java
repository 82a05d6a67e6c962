package io.caspian.control.reconciler;

import io.caspian.control.observed.Inventory;
import io.caspian.control.observed.IoEngineClient;
import io.caspian.control.service.Entities;
import io.caspian.control.service.VolumeLocks;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Destroys what io-engines hold and the journal does not: a replica with no live entity (left behind by a crash
 * between journaling and creating, or by a node that was offline when its volume let it go), and a nexus the journal
 * does not place on its node (its target failed over while the node was away). The evidence is always the
 * journal's, read afresh, and a fresh report of an Online node; a replica made in the last moments, whose entity may
 * not be readable yet, is left for a later pass.
 */
public final class GarbageCollector {
    private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);

    private final Entities entities;
    private final Inventory inventory;
    private final IoEngineClient io;
    private final VolumeLocks locks;
    private final ReplicaOps ops;

    public GarbageCollector(Entities entities, Inventory inventory, IoEngineClient io, VolumeLocks locks,
                            ReplicaOps ops) {
        this.entities = entities;
        this.inventory = inventory;
        this.io = io;
        this.locks = locks;
        this.ops = ops;
    }

    /** One pass over every Online node's report; each step fails alone. */
    void collect() {
        for (Inventory.Observed o : inventory.nodes()) {
            if (!o.online()) {
                continue;
            }
            for (NexusInfo n : o.report().nexuses()) {
                guarded("stray nexus " + n.uuid(), () -> destroyStrayNexus(o.node(), n.uuid()));
            }
        }
        for (Inventory.On<ReplicaInfo> r : inventory.replicas()) {
            String uuid = r.info().uuid();
            boolean poolOnline = inventory.poolOnline(r.node(), r.info().pool());
            if (poolOnline && !inventory.recentlyCreated(uuid) && entities.replica(uuid).isEmpty()) {
                LOG.info("destroying orphaned replica {} in pool {} on node {}", uuid, r.info().pool(), r.node());
                guarded("destroy orphan " + uuid, () -> ops.await(io.destroyReplica(r.node(), uuid,
                        r.info().pool()), "destroy replica " + uuid));
            }
        }
    }

    /**
     * Destroys a nexus an io-engine runs where the journal has none: its target failed over while the node was away,
     * or a crash came between making it and journaling it. The evidence is the journal's, read again under the
     * volume's lock (a nexus id is its volume's id), and the node's fresh report; the data is on the replicas.
     */
    void destroyStrayNexus(String node, String nexus) {
        locks.locked(nexus, () -> {
            boolean onRecordHere = entities.nexus(nexus).filter(n -> n.node().equals(node)).isPresent();
            if (!onRecordHere && ops.nodeOnline(node) && inventory.nexus(node, nexus).isPresent()) {
                LOG.warn("destroying stray nexus {} on node {}: the journal has it {}", nexus, node,
                        entities.nexus(nexus).map(n -> "on node " + n.node()).orElse("nowhere"));
                ReplicaOps.ignoreUnavailable(() -> ops.await(io.destroyNexus(node, nexus),
                        "destroy stray nexus " + nexus));
            }
            return null;
        });
    }

    private static void guarded(String what, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            LOG.warn("garbage collector: {} failed: {}", what, e.getMessage());
        }
    }
}
