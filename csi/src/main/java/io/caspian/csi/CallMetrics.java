package io.caspian.csi;

import io.caspian.metrics.MetricsServer;
import io.grpc.Status;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * What the plugin's callers asked and got: {@code caspian_csi_requests_total{method,code}}, the gRPC calls by full
 * method name ({@code csi.v1.Node/NodeStageVolume}) and status code ({@code OK}, {@code INVALID_ARGUMENT},
 * {@code CANCELLED} when the caller gave up first), and {@code caspian_csi_request_duration_seconds{method}}, how
 * long they took. Both label sets are bounded: the methods are the proto's, the codes gRPC's. Made unregistered when
 * the plugin serves no metrics, so that the server never asks whether it does.
 */
final class CallMetrics {

    private final Counter calls;
    private final Histogram duration;

    /** Registered on {@code registry}; null: kept but not served. */
    CallMetrics(PrometheusRegistry registry) {
        calls = MetricsServer.register(Counter.builder().name("caspian_csi_requests")
                .help("CSI gRPC calls by method and status code").labelNames("method", "code"), registry);
        duration = MetricsServer.register(Histogram.builder().name("caspian_csi_request_duration_seconds")
                .help("How long CSI gRPC calls took, by method").labelNames("method").classicOnly(), registry);
    }

    void ended(String method, Status.Code code, long nanos) {
        calls.labelValues(method, code.name()).inc();
        duration.labelValues(method).observe(nanos / 1e9);
    }
}
