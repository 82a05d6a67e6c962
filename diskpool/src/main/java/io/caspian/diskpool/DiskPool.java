package io.caspian.diskpool;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A {@code DiskPool} object ({@code diskpools.caspian.io/v1}, k8s/base/crd-diskpool.yaml): the user's pool
 * (spec) and what the operator last saw of it (status). The fabric8 client needs a class here; the schema
 * itself lives in the CRD file only, so there is one source for it.
 */
@Group("caspian.io")
@Version("v1")
@Kind("DiskPool")
@Plural("diskpools")
public final class DiskPool extends CustomResource<DiskPoolSpec, DiskPoolStatus> implements Namespaced {
    /** Holds a deleted DiskPool until the control plane confirms its pool is gone. */
    public static final String FINALIZER = "caspian.io/pool-protection";

    /** {@code namespace/name}, the informer's key. */
    String key() {
        return getMetadata().getNamespace() + "/" + getMetadata().getName();
    }

    String name() {
        return getMetadata().getName();
    }

    boolean deleting() {
        return getMetadata().getDeletionTimestamp() != null;
    }

    boolean protectedByUs() {
        return getMetadata().getFinalizers() != null && getMetadata().getFinalizers().contains(FINALIZER);
    }

    /** The status written so far, or an empty one. */
    DiskPoolStatus statusOrEmpty() {
        return getStatus() == null ? DiskPoolStatus.EMPTY : getStatus();
    }
}
