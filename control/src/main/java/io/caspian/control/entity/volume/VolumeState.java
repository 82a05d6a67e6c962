package io.caspian.control.entity.volume;

import io.caspian.control.entity.EntityState;
import io.caspian.control.entity.Lifecycle;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A volume: its spec, the replicas that hold it, where it is published (empty strings when not) to which hosts
 * ({@code hosts}, host NQNs; empty: any host), and its health with the reason it is not Online (empty when it is).
 */
public record VolumeState(String id, Lifecycle lifecycle, VolumeSpec spec, List<String> replicas, String nexus,
                          String targetNode, Protocol protocol, String deviceUri, List<String> hosts, Health status,
                          String reason)
        implements EntityState {
    public VolumeState {
        replicas = List.copyOf(replicas);
        hosts = List.copyOf(hosts);
    }

    public static VolumeState empty(String id) {
        return new VolumeState(id, Lifecycle.ABSENT, new VolumeSpec(0, 0, false, Map.of(), Map.of()), List.of(), "",
                "", Protocol.NONE, "", List.of(), Health.UNKNOWN, "");
    }

    public boolean published() {
        return !deviceUri.isEmpty();
    }

    VolumeState created(VolumeSpec s) {
        return new VolumeState(id, Lifecycle.ACTIVE, s, List.of(), "", "", Protocol.NONE, "", List.of(),
                Health.UNKNOWN, "");
    }

    VolumeState withReplicaCount(int n) {
        return new VolumeState(id, lifecycle, spec.withReplicas(n), replicas, nexus, targetNode, protocol, deviceUri,
                hosts, status, reason);
    }

    VolumeState withReplica(String replica, boolean present) {
        List<String> r = new ArrayList<>(replicas);
        r.remove(replica);
        if (present) {
            r.add(replica);
        }
        return new VolumeState(id, lifecycle, spec, r, nexus, targetNode, protocol, deviceUri, hosts, status, reason);
    }

    VolumeState withTarget(String nexus, String node, Protocol protocol, String deviceUri, List<String> hosts) {
        return new VolumeState(id, lifecycle, spec, replicas, nexus, node, protocol, deviceUri, hosts, status, reason);
    }

    VolumeState withStatus(Health h, String why) {
        return new VolumeState(id, lifecycle, spec, replicas, nexus, targetNode, protocol, deviceUri, hosts, h, why);
    }

    VolumeState destroyed() {
        return new VolumeState(id, Lifecycle.DESTROYED, spec, List.of(), "", "", Protocol.NONE, "", List.of(),
                Health.UNKNOWN, "");
    }
}
