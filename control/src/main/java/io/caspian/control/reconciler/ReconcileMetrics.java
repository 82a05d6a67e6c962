package io.caspian.control.reconciler;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * What the reconciler's passes cost: {@code caspian_reconcile_pass_duration_seconds{kind}} (kind {@code sweep}: every
 * volume; {@code page}: the timer's page of the safety sweep with the changed volumes; {@code changes}: the volumes
 * that reports or bus records named) and {@code caspian_reconcile_volumes_total}, the volumes looked at. Made
 * unregistered when the plane serves no metrics, so that the reconciler never asks whether it does.
 */
final class ReconcileMetrics {

    private final Histogram pass;
    private final Counter volumes;

    private ReconcileMetrics(Histogram pass, Counter volumes) {
        this.pass = pass;
        this.volumes = volumes;
    }

    /** Registered on {@code registry}; null: kept but not served. */
    static ReconcileMetrics on(PrometheusRegistry registry) {
        Histogram.Builder pass = Histogram.builder().name("caspian_reconcile_pass_duration_seconds")
                .help("Reconciler passes by kind (sweep, page, changes) and how long they took")
                .labelNames("kind").classicOnly();
        Counter.Builder volumes = Counter.builder().name("caspian_reconcile_volumes")
                .help("Volumes the reconciler looked at");
        return registry == null ? new ReconcileMetrics(pass.build(), volumes.build())
                : new ReconcileMetrics(pass.register(registry), volumes.register(registry));
    }

    void passed(String kind, long startNanos, int volumesLooked) {
        pass.labelValues(kind).observe((System.nanoTime() - startNanos) / 1e9);
        volumes.inc(volumesLooked);
    }
}
