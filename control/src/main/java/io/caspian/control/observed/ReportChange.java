package io.caspian.control.observed;

import io.caspian.events.Health;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.NodeStateReport;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What one io-engine's new report changed, so that the reconciler looks at the volumes it concerns instead of
 * every volume: the nexuses and replicas that appeared, vanished or differ. A change that may concern any volume —
 * a node seen for the first time or again after going quiet, a new io-engine instance, a pool that appeared,
 * vanished or changed health — is {@code everything}: a full sweep. Pool usage alone is no change: it moves with
 * every write to a thin replica, and the periodic sweep places what waits for space.
 */
public record ReportChange(boolean everything, Set<String> nexuses, Set<String> replicas) {
    public ReportChange {
        nexuses = Set.copyOf(nexuses);
        replicas = Set.copyOf(replicas);
    }

    private static final ReportChange EVERYTHING = new ReportChange(true, Set.of(), Set.of());

    public boolean isEmpty() {
        return !everything && nexuses.isEmpty() && replicas.isEmpty();
    }

    /** {@code previous}: the node's last report while it was fresh and online, or null. */
    public static ReportChange between(NodeStateReport previous, NodeStateReport now) {
        if (previous == null || !previous.instance().equals(now.instance())
                || previous.generation() >= now.generation()
                || !poolHealth(previous.pools()).equals(poolHealth(now.pools()))) {
            return EVERYTHING;
        }
        return new ReportChange(false, changed(previous.nexuses(), now.nexuses(), NexusInfo::uuid),
                changed(previous.replicas(), now.replicas(), ReplicaInfo::uuid));
    }

    /** A pool's identity and health; its capacity and usage are left out. */
    private record PoolHealth(String uuid, String disk, Health status, String reason) {
    }

    private static Map<String, PoolHealth> poolHealth(List<PoolInfo> pools) {
        return pools.stream().collect(Collectors.toMap(PoolInfo::name,
                p -> new PoolHealth(p.uuid(), p.disk(), p.status(), p.reason()), (a, b) -> a));
    }

    private static <T> Set<String> changed(List<T> before, List<T> after, Function<T, String> id) {
        Map<String, T> old = before.stream().collect(Collectors.toMap(id, Function.identity(), (a, b) -> a));
        Map<String, T> now = after.stream().collect(Collectors.toMap(id, Function.identity(), (a, b) -> a));
        Set<String> changed = new HashSet<>();
        old.forEach((k, v) -> {
            if (!v.equals(now.get(k))) {
                changed.add(k);
            }
        });
        now.keySet().stream().filter(k -> !old.containsKey(k)).forEach(changed::add);
        return changed;
    }
}
