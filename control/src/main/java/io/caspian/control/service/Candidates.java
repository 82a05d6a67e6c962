package io.caspian.control.service;

import io.caspian.control.entity.pool.PoolSpec;
import io.caspian.control.observed.Inventory;
import io.caspian.control.scheduler.NodeCandidate;
import io.caspian.control.scheduler.PoolCandidate;
import io.caspian.events.ioengine.PoolInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Turns observed state into the scheduler's inputs. */
public final class Candidates {
    private Candidates() {
    }

    public static List<NodeCandidate> nodes(Inventory inventory) {
        return inventory.nodes().stream()
                .map(o -> new NodeCandidate(o.node(), o.online(), inventory.cordoned(o.node()), o.report().labels(),
                        o.report().nexuses().size()))
                .toList();
    }

    /** Observed pools that the control plane created (with their labels); others take no replicas. */
    public static List<PoolCandidate> pools(Inventory inventory) {
        Map<String, PoolSpec> specs = inventory.poolSpecs();
        List<PoolCandidate> out = new ArrayList<>();
        for (Inventory.Observed o : inventory.nodes()) {
            for (PoolInfo p : o.report().pools()) {
                PoolSpec spec = specs.get(p.name());
                if (spec != null && spec.node().equals(o.node())) {
                    out.add(new PoolCandidate(p.name(), o.node(), spec.labels(), p.status(), p.capacity(), p.used(),
                            p.committed(), spec.disk().startsWith("malloc:")));
                }
            }
        }
        return out;
    }
}
