package io.caspian.diskpool;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * What the user asks for: a pool on {@code node} of the one disk in {@code disks} (the CRD allows exactly one and
 * makes both immutable), with {@code labels} for volume topology.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DiskPoolSpec(String node, List<String> disks, Map<String, String> labels) {
    /** The one disk, or null when the object (not validated by a real API server, e.g. in a test) has none. */
    String disk() {
        return disks == null || disks.isEmpty() ? null : disks.get(0);
    }

    Map<String, String> labelsOrEmpty() {
        return labels == null ? Map.of() : labels;
    }
}
