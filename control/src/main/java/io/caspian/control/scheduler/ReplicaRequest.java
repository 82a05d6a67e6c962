package io.caspian.control.scheduler;

import java.util.Map;
import java.util.Set;

/** Place {@code count} replicas of {@code size} bytes, on nodes other than {@code excludedNodes}. */
public record ReplicaRequest(long size, boolean thin, int count, Map<String, String> nodeLabels,
                             Map<String, String> poolLabels, Set<String> excludedNodes) {
    public ReplicaRequest {
        nodeLabels = Map.copyOf(nodeLabels);
        poolLabels = Map.copyOf(poolLabels);
        excludedNodes = Set.copyOf(excludedNodes);
    }
}
