package io.caspian.control.reconciler;

import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.control.observed.Inventory;
import io.caspian.control.service.Entities;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A volume's health from the bottom up: what its nexus's io-engine reports of the children (published), or what
 * the replicas' io-engines report of them (not published). The journal's own child states are not enough: a child
 * the nexus still calls Online may sit on a node known to be gone.
 */
final class VolumeHealth {
    /** A volume's health and, when it is not Online, why. */
    record Status(Health health, String reason) {
    }

    private final Entities entities;
    private final Inventory inventory;
    private final Evidence evidence;

    VolumeHealth(Entities entities, Inventory inventory, Evidence evidence) {
        this.entities = entities;
        this.inventory = inventory;
        this.evidence = evidence;
    }

    Status of(VolumeState v, ReplicaNodes nodes) {
        int want = v.spec().replicas();
        long good;
        String missing;
        if (v.published()) {
            Optional<NexusState> n = entities.nexus(v.nexus());
            Optional<NexusInfo> observed = n.flatMap(x -> inventory.nexus(x.node(), x.id()));
            if (observed.isEmpty()) {
                String node = n.map(NexusState::node).orElse(v.targetNode());
                return new Status(Health.FAULTED, "its nexus is not running on node " + node + " (node "
                        + inventory.describe(node) + ")");
            }
            // A child the nexus still calls Online on a node known to be gone is not counted on: no I/O may have
            // touched it since, and the volume must not say Online until the node timeout replaces it.
            Set<String> gone = n.map(x -> x.children().stream().filter(c -> evidence.replicaNodeOffline(c.replica(), nodes))
                    .map(Child::uri).collect(Collectors.toSet())).orElse(Set.of());
            good = observed.get().children().stream()
                    .filter(c -> c.state() == ChildState.ONLINE && !gone.contains(c.uri())).count();
            missing = observed.get().children().stream()
                    .filter(c -> c.state() != ChildState.ONLINE || gone.contains(c.uri()))
                    .map(c -> c.uri() + " " + (gone.contains(c.uri()) ? "on an offline node" : c.state()
                            + (c.reason().isEmpty() ? "" : " (" + c.reason() + ")")))
                    .collect(Collectors.joining(", "));
        } else {
            List<String> bad = new ArrayList<>();
            good = 0;
            for (String r : v.replicas()) {
                Optional<Inventory.On<ReplicaInfo>> o = inventory.replica(r);
                if (o.isPresent() && evidence.nodeOnline(o.get().node())
                        && o.get().info().status() != Health.FAULTED) {
                    good++;
                } else {
                    bad.add("replica " + r + (o.isEmpty() ? " not reported" : " on node " + o.get().node() + " "
                            + o.get().info().status() + ", node " + inventory.describe(o.get().node())));
                }
            }
            missing = String.join(", ", bad);
        }
        if (good == 0) {
            return new Status(Health.FAULTED, "no replica is usable" + (missing.isEmpty() ? "" : ": " + missing));
        }
        return good >= want ? new Status(Health.ONLINE, "") : new Status(Health.DEGRADED, good + " of " + want
                + " replicas in sync" + (missing.isEmpty() ? "" : "; not in sync: " + missing));
    }
}
