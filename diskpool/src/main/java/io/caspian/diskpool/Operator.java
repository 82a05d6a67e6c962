package io.caspian.diskpool;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watch loop: an informer on the namespace's DiskPools (its first list passes every object once, its resync
 * passes them all again every {@code resync}, and each change passes the changed one) feeds the keys of the
 * objects to reconcile into a queue that one thread drains. One thread, because the passes are short REST calls
 * and two passes over one object at once would race each other's writes; a key queued twice is reconciled once,
 * on the newest copy the informer holds.
 */
public final class Operator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Operator.class);

    private final KubernetesClient client;
    private final String namespace;
    private final Duration resync;
    private final Duration retry;
    private final Reconciler reconciler;
    private final OperatorMetrics metrics;
    private final ScheduledThreadPoolExecutor worker;
    private final Set<String> queued = new HashSet<>();
    private SharedIndexInformer<DiskPool> informer;

    /**
     * @param resync how often every DiskPool is reconciled even if nothing changed (status refresh, retry of a
     *               refused spec)
     * @param metrics where the passes are counted and timed; null: nowhere
     */
    public Operator(KubernetesClient client, String namespace, PoolApi api, Duration resync,
                    PrometheusRegistry metrics) {
        this.client = client;
        this.namespace = namespace;
        this.resync = resync;
        this.retry = resync.compareTo(Duration.ofSeconds(2)) < 0 ? resync : Duration.ofSeconds(2);
        this.reconciler = new Reconciler(api, new DiskPoolStore(client));
        this.metrics = new OperatorMetrics(metrics);
        this.worker = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "diskpool-operator");
            t.setDaemon(true);
            return t;
        });
        // On stop, retries waiting for their time are dropped; the pass under way finishes.
        worker.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** Starts watching; returns once the informer has listed the namespace's DiskPools. */
    public synchronized Operator start() {
        informer = client.resources(DiskPool.class).inNamespace(namespace).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(DiskPool dp) {
                enqueue(dp.key());
            }

            @Override
            public void onUpdate(DiskPool before, DiskPool after) {
                if (worthAPass(before, after)) {
                    enqueue(after.key());
                }
            }

            @Override
            public void onDelete(DiskPool dp, boolean finalStateUnknown) {
                // Gone from the API: its finalizer was removed, so its pool is already gone (or never was).
            }
        }, resync.toMillis());
        LOG.info("watching DiskPools in namespace {} (resync every {} s)", namespace, resync.toSeconds());
        return this;
    }

    /**
     * A resync (same resourceVersion), a new spec (generation), or a change of deletion or finalizers. Not a
     * status write alone: each pass writes status, and a pass per write would ask the API again at once, for a
     * refused spec a create per write.
     */
    static boolean worthAPass(DiskPool before, DiskPool after) {
        ObjectMeta b = before.getMetadata();
        ObjectMeta a = after.getMetadata();
        return Objects.equals(b.getResourceVersion(), a.getResourceVersion())
                || !Objects.equals(b.getGeneration(), a.getGeneration())
                || !Objects.equals(b.getDeletionTimestamp(), a.getDeletionTimestamp())
                || !Objects.equals(b.getFinalizers(), a.getFinalizers());
    }

    private void enqueue(String key) {
        synchronized (queued) {
            if (!queued.add(key)) {
                return;
            }
        }
        try {
            worker.execute(() -> process(key));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Stopping.
        }
    }

    private void process(String key) {
        synchronized (queued) {
            queued.remove(key);
        }
        DiskPool dp = informer.getStore().getByKey(key);
        if (dp == null) {
            return;
        }
        Reconciler.Outcome outcome;
        long start = System.nanoTime();
        try {
            outcome = reconciler.reconcile(dp);
            metrics.passed(outcome == Reconciler.Outcome.SETTLED ? OperatorMetrics.SETTLED : OperatorMetrics.RETRY,
                    start);
        } catch (RuntimeException e) {
            metrics.passed(OperatorMetrics.ERROR, start);
            LOG.warn("DiskPool {}: reconcile failed; retrying", key, e);
            outcome = Reconciler.Outcome.RETRY;
        }
        if (outcome == Reconciler.Outcome.RETRY) {
            try {
                worker.schedule(() -> enqueue(key), retry.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Stopping.
            }
        }
    }

    /** Stops watching and lets a pass under way finish (bounded). Pools are left as they are. */
    @Override
    public synchronized void close() {
        if (informer != null) {
            informer.stop();
        }
        worker.shutdown();
        try {
            if (!worker.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("a reconcile pass did not finish within 10 s of stopping");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
