package io.caspian.control.scheduler;

import io.caspian.events.Health;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Replica placement: one replica per node (a node failure then costs at most one replica), only Online pools on
 * online, uncordoned nodes whose labels match, only pools with room, least used first. Thick replicas need free
 * space beyond their size; thin ones may overcommit a pool up to {@code overcommitPercent} of its capacity, counting
 * every replica's full size as committed.
 */
public final class Scheduler {
    public static final int DEFAULT_OVERCOMMIT_PERCENT = 250;

    private static final Comparator<PoolCandidate> LEAST_USED = Comparator.comparingLong(PoolCandidate::used)
            .thenComparingLong(PoolCandidate::committed)
            .thenComparing(PoolCandidate::name);

    /** The pool label with which a volume asks for volatile (memory) pools. */
    public static final String VOLATILE_LABEL = "caspian.io/volatile";

    private final int overcommitPercent;
    private final boolean volatileForAll;

    public Scheduler(int overcommitPercent) {
        this(overcommitPercent, false);
    }

    /**
     * {@code volatileForAll}: every volume may use volatile pools (benchmarks and tests on memory pools); otherwise
     * only a volume whose pool labels ask for {@value #VOLATILE_LABEL}=true does, since their data is gone with
     * their io-engine's process.
     */
    public Scheduler(int overcommitPercent, boolean volatileForAll) {
        if (overcommitPercent < 100) {
            throw new IllegalArgumentException("overcommit must be at least 100 %, got " + overcommitPercent);
        }
        this.overcommitPercent = overcommitPercent;
        this.volatileForAll = volatileForAll;
    }

    public Placement placeReplicas(ReplicaRequest req, Collection<NodeCandidate> nodes,
                                   Collection<PoolCandidate> pools) {
        Map<String, NodeCandidate> byId = new HashMap<>();
        nodes.forEach(n -> byId.put(n.id(), n));
        int[] rejected = new int[5];
        long mostRoom = 0;
        boolean volatileOk = volatileForAll || "true".equals(req.poolLabels().get(VOLATILE_LABEL));
        List<PoolCandidate> fitting = new ArrayList<>();
        for (PoolCandidate p : pools) {
            NodeCandidate n = byId.get(p.node());
            if (n == null || !n.usable() || req.excludedNodes().contains(p.node())) {
                rejected[0]++;
            } else if (p.status() != Health.ONLINE) {
                rejected[1]++;
            } else if (p.volatileDisk() && !volatileOk) {
                rejected[4]++;
            } else if (!matches(n.labels(), req.nodeLabels()) || !matches(p.labels(), without(req.poolLabels()))) {
                rejected[2]++;
            } else if (!hasRoom(p, req.size(), req.thin())) {
                rejected[3]++;
                mostRoom = Math.max(mostRoom, room(p, req.thin()));
            } else {
                fitting.add(p);
            }
        }
        fitting.sort(LEAST_USED);
        List<PoolCandidate> chosen = new ArrayList<>();
        Set<String> usedNodes = new HashSet<>();
        for (PoolCandidate p : fitting) {
            if (chosen.size() < req.count() && usedNodes.add(p.node())) {
                chosen.add(p);
            }
        }
        if (chosen.size() == req.count()) {
            return new Placement(chosen, null);
        }
        return new Placement(chosen, String.format(
                "found %d of %d replica places of %d bytes (%s) on distinct nodes; pools skipped: %d on "
                        + "offline, cordoned or already used nodes, %d not online, %d not matching labels "
                        + "node=%s pool=%s, %d without room%s, %d volatile (malloc) not asked for with pool label "
                        + VOLATILE_LABEL + "=true",
                chosen.size(), req.count(), req.size(), req.thin() ? "thin" : "thick", rejected[0], rejected[1],
                rejected[2], req.nodeLabels(), req.poolLabels(), rejected[3],
                rejected[3] == 0 ? "" : " (the most any of them could take: " + mostRoom + " bytes"
                        + (req.thin() ? " within the " + overcommitPercent + " % overcommit limit" : "") + ")",
                rejected[4]));
    }

    /** The pool labels to match, less the volatile request, which no pool carries as a label. */
    private static Map<String, String> without(Map<String, String> poolLabels) {
        if (!poolLabels.containsKey(VOLATILE_LABEL)) {
            return poolLabels;
        }
        Map<String, String> m = new HashMap<>(poolLabels);
        m.remove(VOLATILE_LABEL);
        return m;
    }

    boolean hasRoom(PoolCandidate p, long size, boolean thin) {
        return size <= room(p, thin);
    }

    /**
     * The largest replica the pool can take: thick, less than its free space; thin, what its overcommit limit
     * leaves beside the replicas it holds. Computed without overflow: a requested size may be anything up to
     * Long.MAX_VALUE (a thin 4 EiB volume once wrapped around to a negative product and was placed).
     */
    long room(PoolCandidate p, boolean thin) {
        if (!thin) {
            return Math.max(0, p.free() - 1);
        }
        long limit;
        try {
            limit = Math.addExact(Math.multiplyExact(p.capacity() / 100, (long) overcommitPercent),
                    p.capacity() % 100 * overcommitPercent / 100);
        } catch (ArithmeticException e) {
            limit = Long.MAX_VALUE;
        }
        return Math.max(0, limit - p.committed());
    }

    private static boolean matches(Map<String, String> have, Map<String, String> want) {
        return have.entrySet().containsAll(want.entrySet());
    }

    /**
     * The nexus goes on the requested node if it is usable, otherwise on the usable node with the fewest nexuses,
     * preferring one that holds a replica of the volume (a local child), then by name for a stable choice.
     */
    public Optional<String> placeNexus(String requested, Collection<NodeCandidate> nodes, Set<String> replicaNodes) {
        if (requested != null && !requested.isBlank()) {
            return nodes.stream().filter(n -> n.id().equals(requested) && n.usable()).map(NodeCandidate::id)
                    .findFirst();
        }
        return nodes.stream().filter(NodeCandidate::usable)
                .min(Comparator.comparingInt(NodeCandidate::nexuses)
                        .thenComparing(n -> replicaNodes.contains(n.id()) ? 0 : 1)
                        .thenComparing(NodeCandidate::id))
                .map(NodeCandidate::id);
    }
}
