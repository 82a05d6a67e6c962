package io.caspian.diskpool;

import java.util.List;
import java.util.Map;

/** A pool as the REST API shows it ({@code GET /v0/nodes/{node}/pools/{name}}); sizes in bytes. */
record PoolView(String id, String node, List<String> disks, Map<String, String> labels, String status,
                String reason, long capacity, long used) {
    String disk() {
        return disks == null || disks.isEmpty() ? null : disks.get(0);
    }
}
