package io.caspian.diskpool;

import io.caspian.metrics.MetricsServer;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * What the operator's passes came to: {@code caspian_diskpool_reconciles_total{outcome}} ({@code settled}: as
 * asked, or waiting for the user; {@code retry}: not done for a reason that may pass, such as an API that does not
 * answer; {@code error}: the pass threw, a bug or an answer it could not read; both are retried) and
 * {@code caspian_diskpool_reconcile_duration_seconds}, how long passes took. A DiskPool that never settles shows as
 * a steady rate of retries. Made unregistered when the role serves no metrics, so that the operator never asks
 * whether it does.
 */
final class OperatorMetrics {

    /** Label values of {@code outcome}. */
    static final String SETTLED = "settled";
    static final String RETRY = "retry";
    static final String ERROR = "error";

    private final Counter passes;
    private final Histogram duration;

    /** Registered on {@code registry}; null: kept but not served. */
    OperatorMetrics(PrometheusRegistry registry) {
        passes = MetricsServer.register(Counter.builder().name("caspian_diskpool_reconciles")
                .help("DiskPool reconcile passes by outcome (settled, retry, error)").labelNames("outcome"), registry);
        duration = MetricsServer.register(Histogram.builder().name("caspian_diskpool_reconcile_duration_seconds")
                .help("How long DiskPool reconcile passes took").classicOnly(), registry);
    }

    void passed(String outcome, long startNanos) {
        passes.labelValues(outcome).inc();
        duration.observe((System.nanoTime() - startNanos) / 1e9);
    }
}
