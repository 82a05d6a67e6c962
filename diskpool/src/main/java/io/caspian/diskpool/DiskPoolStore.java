package io.caspian.diskpool;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's writes to Kubernetes: the finalizer and the status. Each is a replace carrying the
 * resourceVersion the operator read, so a write based on a stale copy fails (409) instead of undoing someone
 * else's change; the caller retries with a fresh copy.
 */
final class DiskPoolStore {
    private static final Logger LOG = LoggerFactory.getLogger(DiskPoolStore.class);

    private final KubernetesClient client;

    DiskPoolStore(KubernetesClient client) {
        this.client = client;
    }

    /** Adds the finalizer; false when the write was refused (stale copy, object gone). */
    boolean addFinalizer(DiskPool dp) {
        return withFinalizers(dp, true);
    }

    /** Removes the finalizer; once none is left, Kubernetes deletes the object. */
    boolean removeFinalizer(DiskPool dp) {
        return withFinalizers(dp, false);
    }

    /** Writes {@code status} through the status subresource unless it is already what the object shows. */
    boolean writeStatus(DiskPool dp, DiskPoolStatus status) {
        if (status.equals(dp.statusOrEmpty())) {
            return true;
        }
        DiskPool copy = copy(dp);
        copy.setStatus(status);
        return write(dp, "status " + status, () -> client.resources(DiskPool.class)
                .inNamespace(dp.getMetadata().getNamespace()).resource(copy).updateStatus());
    }

    private boolean withFinalizers(DiskPool dp, boolean add) {
        DiskPool copy = copy(dp);
        List<String> finalizers = new ArrayList<>(dp.getMetadata().getFinalizers() == null ? List.of()
                : dp.getMetadata().getFinalizers());
        finalizers.remove(DiskPool.FINALIZER);
        if (add) {
            finalizers.add(DiskPool.FINALIZER);
        }
        copy.getMetadata().setFinalizers(finalizers);
        return write(dp, (add ? "add" : "remove") + " finalizer", () -> client.resources(DiskPool.class)
                .inNamespace(dp.getMetadata().getNamespace()).resource(copy).update());
    }

    private static boolean write(DiskPool dp, String what, Runnable w) {
        try {
            w.run();
            return true;
        } catch (KubernetesClientException e) {
            // 409: someone (often this operator's previous write) changed the object since it was read.
            LOG.debug("DiskPool {}: {} not written ({}); retrying with a fresh copy", dp.key(), what, e.getCode());
            if (e.getCode() != 409 && e.getCode() != 404) {
                LOG.warn("DiskPool {}: {} failed: {}", dp.key(), what, e.getMessage());
            }
            return false;
        }
    }

    /** A copy to change, so that the informer's cached object is never modified in place. */
    private static DiskPool copy(DiskPool dp) {
        DiskPool c = new DiskPool();
        c.setApiVersion(dp.getApiVersion());
        c.setKind(dp.getKind());
        c.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder(dp.getMetadata()).build());
        c.setSpec(dp.getSpec());
        c.setStatus(dp.getStatus());
        return c;
    }
}
