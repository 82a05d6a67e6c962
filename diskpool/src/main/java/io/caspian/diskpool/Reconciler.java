package io.caspian.diskpool;

import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass over one DiskPool: compares the object with the control plane's pool and acts. Stateless: everything it
 * decides on is read afresh, so a pass can be repeated, interrupted or run by a restarted operator.
 *
 * <p>Its rules, in order of weight:
 * <ul>
 *   <li>Destroy only on positive evidence: a DiskPool that is being deleted, whose pool the API shows on the named
 *   node with the named disk. A pool that is missing from an answer, an API that does not answer, or a pool of
 *   the same name on another disk (not this DiskPool's; perhaps made by hand) is never destroyed.</li>
 *   <li>Never overwrite: the create request never asks the io-engine to format a disk that holds data; the
 *   refusal goes into status for a person to act on.</li>
 *   <li>The finalizer goes only when the API says the pool is gone (204, or 404 on its node).</li>
 * </ul>
 */
final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    /** What the operator should do next with this DiskPool. */
    enum Outcome {
        /** As asked, or waiting for the user: the next event or the periodic resync brings the next pass. */
        SETTLED,
        /** Not done for a reason that may pass on its own (no answer, a stale copy): try again soon. */
        RETRY
    }

    private final PoolApi api;
    private final DiskPoolStore store;

    Reconciler(PoolApi api, DiskPoolStore store) {
        this.api = api;
        this.store = store;
    }

    Outcome reconcile(DiskPool dp) {
        DiskPoolSpec spec = dp.getSpec();
        if (dp.deleting()) {
            return dp.protectedByUs() ? release(dp) : Outcome.SETTLED;
        }
        if (spec == null || spec.node() == null || spec.node().isBlank() || spec.disk() == null) {
            return status(dp, dp.statusOrEmpty().error("spec.node and one disk in spec.disks are required"));
        }
        if (!dp.protectedByUs()) {
            // Before the pool exists, so that no pool this operator made can outlive its object unnoticed. The
            // write's own event brings the next pass, with the finalizer.
            return store.addFinalizer(dp) ? Outcome.SETTLED : Outcome.RETRY;
        }
        Answer found = api.get(spec.node(), dp.name());
        if (found instanceof Answer.NotFound) {
            LOG.info("DiskPool {}: creating pool {} on node {} with disk {}", dp.key(), dp.name(), spec.node(),
                    spec.disk());
            found = api.create(spec.node(), dp.name(), spec.disk(), spec.labelsOrEmpty());
        }
        // Java 17: no pattern switch; each variant of the sealed Answer is named, the last one by elimination.
        if (found instanceof Answer.Pool p) {
            return status(dp, observed(dp, p.view()));
        }
        if (found instanceof Answer.Refused r) {
            return status(dp, dp.statusOrEmpty().error(r.message()));
        }
        if (found instanceof Answer.NotFound n) {
            // GET said absent and PUT said there is no such node.
            return status(dp, dp.statusOrEmpty().error(n.message()));
        }
        return unavailable(dp, (Answer.Unavailable) found, "");
    }

    /** The DiskPool is being deleted: destroy its pool, then let the object go. */
    private Outcome release(DiskPool dp) {
        DiskPoolSpec spec = dp.getSpec();
        if (spec == null || spec.node() == null || spec.disk() == null) {
            // It never named a pool, so it never had one.
            return store.removeFinalizer(dp) ? Outcome.SETTLED : Outcome.RETRY;
        }
        Answer found = api.get(spec.node(), dp.name());
        if (found instanceof Answer.Pool p && !Objects.equals(p.view().disk(), spec.disk())) {
            // A pool of this name on another disk was never this DiskPool's (its creation was refused): keep it.
            LOG.warn("DiskPool {} deleted; pool {} on node {} has disk {}, not {}: it is not this DiskPool's and "
                    + "stays", dp.key(), dp.name(), spec.node(), p.view().disk(), spec.disk());
            return store.removeFinalizer(dp) ? Outcome.SETTLED : Outcome.RETRY;
        }
        if (found instanceof Answer.Pool) {
            LOG.info("DiskPool {} deleted: destroying pool {} on node {}", dp.key(), dp.name(), spec.node());
            found = api.delete(spec.node(), dp.name());
        }
        if (found instanceof Answer.Deleted || found instanceof Answer.NotFound) {
            return removed(dp);
        }
        if (found instanceof Answer.Refused r) {
            // 409: it still holds replicas. The object waits, saying why, until their volumes are gone.
            status(dp, dp.statusOrEmpty().error("cannot destroy the pool: " + r.message()));
            return Outcome.RETRY;
        }
        return unavailable(dp, (Answer.Unavailable) found, "the pool is not destroyed yet: ");
    }

    private Outcome removed(DiskPool dp) {
        LOG.info("DiskPool {}: pool {} is gone; releasing the object", dp.key(), dp.name());
        return store.removeFinalizer(dp) ? Outcome.SETTLED : Outcome.RETRY;
    }

    /** No answer tells nothing about the pool: say so, keep the last sizes, try again. */
    private Outcome unavailable(DiskPool dp, Answer.Unavailable u, String prefix) {
        LOG.warn("DiskPool {}: {}{}", dp.key(), prefix, u.message());
        store.writeStatus(dp, dp.statusOrEmpty().unknown(prefix + u.message()));
        return Outcome.RETRY;
    }

    /** The status for an existing pool, or an error when the pool of that name is not the one asked for. */
    private static DiskPoolStatus observed(DiskPool dp, PoolView pool) {
        DiskPoolSpec spec = dp.getSpec();
        if (!Objects.equals(pool.disk(), spec.disk())) {
            return dp.statusOrEmpty().error("pool '" + pool.id() + "' already exists on node '" + pool.node()
                    + "' with disk " + pool.disk() + ", not " + spec.disk() + "; it is left alone");
        }
        String message = pool.reason();
        Map<String, String> labels = pool.labels() == null ? Map.of() : pool.labels();
        if (!labels.equals(spec.labelsOrEmpty())) {
            // The API has no call that changes a pool's labels (a PUT with others is a conflict); say so rather
            // than destroy and re-create a pool that may hold data.
            message = "the pool's labels " + labels + " differ from spec.labels " + spec.labelsOrEmpty()
                    + ": the control plane cannot change a pool's labels; delete and re-create the DiskPool to "
                    + "change them" + (message == null ? "" : "; " + message);
        }
        return DiskPoolStatus.of(pool, message);
    }

    private Outcome status(DiskPool dp, DiskPoolStatus status) {
        return store.writeStatus(dp, status) ? Outcome.SETTLED : Outcome.RETRY;
    }
}
