package io.caspian.control.reconciler;

import io.caspian.control.observed.Inventory;
import io.caspian.control.observed.IoEngineClient;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.service.Entities;
import io.caspian.control.service.VolumeLocks;
import io.caspian.events.ioengine.ReplicaInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    private final Projected projection;
    /** Where the paged passes stopped; only the one running pass touches them. */
    private String nexusCursor = "";
    private String replicaCursor = "";

    public GarbageCollector(Entities entities, Inventory inventory, IoEngineClient io, VolumeLocks locks,
                            ReplicaOps ops, Projected projection) {
        this.entities = entities;
        this.inventory = inventory;
        this.io = io;
        this.locks = locks;
        this.ops = ops;
        this.projection = projection;
    }

    /**
     * One pass over up to {@code limit} of the nexuses and of the replicas Online nodes report, by uuid from where
     * the last pass stopped, so that a tick's cost does not grow with the cluster; each step fails alone.
     */
    void collect(int limit) {
        List<Inventory.On<String>> nexuses = new ArrayList<>();
        List<Inventory.On<String>> replicas = new ArrayList<>();
        for (Inventory.Observed o : inventory.nodes()) {
            if (o.online()) {
                o.report().nexuses().forEach(n -> nexuses.add(new Inventory.On<>(o.node(), n.uuid())));
                o.report().replicas().forEach(r -> replicas.add(new Inventory.On<>(o.node(), r.uuid())));
            }
        }
        List<Inventory.On<String>> nexusPage = page(nexuses, nexusCursor, limit);
        nexusCursor = cursorAfter(nexusPage, nexuses.size(), limit);
        if (!nexusPage.isEmpty()) {
            Map<String, NexusState> onRecord = projection.nexuses(first(nexusPage), last(nexusPage));
            for (Inventory.On<String> n : nexusPage) {
                NexusState journaled = onRecord.get(n.info());
                if (journaled == null || !n.node().equals(journaled.node())) {
                    guarded("stray nexus " + n.info(), () -> destroyStrayNexus(n.node(), n.info()));
                }
            }
        }
        List<Inventory.On<String>> replicaPage = page(replicas, replicaCursor, limit);
        replicaCursor = cursorAfter(replicaPage, replicas.size(), limit);
        if (!replicaPage.isEmpty()) {
            Set<String> onRecord = projection.replicas(first(replicaPage), last(replicaPage));
            for (Inventory.On<String> r : replicaPage) {
                if (!onRecord.contains(r.info())) {
                    guarded("destroy orphan " + r.info(), () -> destroyOrphan(r.node(), r.info()));
                }
            }
        }
    }

    /**
     * Up to {@code limit} uuids of {@code all} in order after {@code after} (with every node reporting the last
     * one); fewer at the end, so that a page is one range of uuids for the projection and the next pass starts
     * again from the beginning.
     */
    static List<Inventory.On<String>> page(List<Inventory.On<String>> all, String after, int limit) {
        List<Inventory.On<String>> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparing(Inventory.On<String>::info).thenComparing(Inventory.On::node));
        List<Inventory.On<String>> page = new ArrayList<>(Math.min(limit, sorted.size()));
        for (Inventory.On<String> x : sorted) {
            if (x.info().compareTo(after) > 0) {
                if (page.size() >= limit && !x.info().equals(last(page))) {
                    break;
                }
                page.add(x);
            }
        }
        return page;
    }

    /** Where the next page starts: after this one, or from the beginning once the end is reached. */
    private static String cursorAfter(List<Inventory.On<String>> page, int total, int limit) {
        return page.size() < limit || page.size() >= total ? "" : last(page);
    }

    private static String first(List<Inventory.On<String>> page) {
        return page.get(0).info();
    }

    private static String last(List<Inventory.On<String>> page) {
        return page.get(page.size() - 1).info();
    }

    /**
     * Destroys a replica an Online pool holds whose entity the journal does not have, read afresh; one made in the
     * last moments is left, as its entity may not be readable yet.
     */
    private void destroyOrphan(String node, String uuid) {
        ReplicaInfo reported = inventory.node(node).map(o -> o.index().replicas().get(uuid)).orElse(null);
        if (reported == null) {
            return;
        }
        String pool = reported.pool();
        if (inventory.poolOnline(node, pool) && !inventory.recentlyCreated(uuid)
                && entities.replica(uuid).isEmpty()) {
            LOG.info("destroying orphaned replica {} in pool {} on node {}", uuid, pool, node);
            ops.await(io.destroyReplica(node, uuid, pool), "destroy replica " + uuid);
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
