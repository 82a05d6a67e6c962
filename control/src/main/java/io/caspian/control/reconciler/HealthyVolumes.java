package io.caspian.control.reconciler;

import io.caspian.control.entity.Lifecycle;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.control.observed.Inventory;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.ioengine.ChildInfo;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which volumes of a sweep's page plainly need nothing, judged from the read model's last projection and the
 * io-engines' fresh reports, so that the safety sweep reads the entities of a volume only when something may be
 * off: a pass over a healthy volume costs nine entity round trips, and a page holds hundreds. Only a volume that is
 * Online by its own record and by every report qualifies: its replica count met, each replica reported Online on an
 * Online node, and, when published, its nexus reported on its node with exactly its replicas as children, all Online
 * and none rebuilding. Any doubt — a row the read model lacks, a stale report, a child in any other state — sends
 * the volume through the full pass, which reads everything afresh. Nothing is ever done on this judgement alone.
 */
final class HealthyVolumes {
    private final Inventory inventory;
    private final Projected projected;

    HealthyVolumes(Inventory inventory, Projected projected) {
        this.inventory = inventory;
        this.projected = projected;
    }

    /** The volumes of {@code ids} (sorted runs, as a page is) that plainly need nothing. */
    Set<String> of(List<String> ids) {
        Set<String> healthy = new HashSet<>();
        for (List<String> run : runs(ids)) {
            String from = run.get(0);
            String to = run.get(run.size() - 1);
            Map<String, VolumeState> volumes = projected.volumes(from, to);
            Map<String, NexusState> nexuses = projected.nexuses(from, to);
            for (String id : run) {
                VolumeState v = volumes.get(id);
                if (v != null && healthy(v, nexuses.get(v.nexus()))) {
                    healthy.add(id);
                }
            }
        }
        return healthy;
    }

    /** The ascending runs of {@code ids}: a page that wrapped around is two. */
    static List<List<String>> runs(List<String> ids) {
        List<List<String>> runs = new ArrayList<>();
        List<String> run = new ArrayList<>();
        for (String id : ids) {
            if (!run.isEmpty() && id.compareTo(run.get(run.size() - 1)) <= 0) {
                runs.add(run);
                run = new ArrayList<>();
            }
            run.add(id);
        }
        if (!run.isEmpty()) {
            runs.add(run);
        }
        return runs;
    }

    boolean healthy(VolumeState v, NexusState nexus) {
        if (v.lifecycle() != Lifecycle.ACTIVE || v.status() != Health.ONLINE || !v.reason().isEmpty()
                || v.replicas().size() != v.spec().replicas()) {
            return false;
        }
        for (String r : v.replicas()) {
            Optional<Inventory.On<ReplicaInfo>> o = inventory.replica(r);
            if (o.isEmpty() || !inventory.online(o.get().node()) || o.get().info().status() != Health.ONLINE) {
                return false;
            }
        }
        if (!v.published()) {
            return v.nexus().isEmpty();
        }
        return nexus != null && nexus.lifecycle() == Lifecycle.ACTIVE && nexus.node().equals(v.targetNode())
                && nexus.rebuilding().isEmpty() && inventory.online(nexus.node())
                && inventory.nexus(nexus.node(), nexus.id()).filter(n -> running(n, nexus, v)).isPresent();
    }

    /** The nexus runs Online with the volume's replicas as its children, all Online as journaled, none rebuilding. */
    private static boolean running(NexusInfo observed, NexusState journaled, VolumeState v) {
        if (observed.status() != Health.ONLINE || observed.children().size() != journaled.children().size()
                || journaled.children().size() != v.replicas().size()) {
            return false;
        }
        Map<String, ChildInfo> reported = new HashMap<>();
        observed.children().forEach(c -> reported.put(c.uri(), c));
        Set<String> replicas = new HashSet<>(v.replicas());
        for (Child c : journaled.children()) {
            ChildInfo r = reported.get(c.uri());
            if (c.state() != ChildState.ONLINE || !replicas.remove(c.replica()) || r == null
                    || r.state() != ChildState.ONLINE || r.rebuildProgress() >= 0) {
                return false;
            }
        }
        return replicas.isEmpty();
    }
}
