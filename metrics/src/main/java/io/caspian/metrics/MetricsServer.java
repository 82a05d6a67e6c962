package io.caspian.metrics;

import io.prometheus.metrics.core.metrics.MetricWithFixedMetadata;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A role's {@code /metrics}: a registry of its own (never the library's global one, so that tests may run several
 * in one JVM), the JVM and process metrics, and the Prometheus client's HTTP server, which answers in the text
 * format or OpenMetrics as the scraper's Accept header asks. Closing it stops the server; it goes with the role
 * that started it.
 */
public final class MetricsServer implements AutoCloseable {

    private final PrometheusRegistry registry;
    private final HTTPServer server;
    private final String host;
    private final AtomicBoolean closed = new AtomicBoolean();

    private MetricsServer(PrometheusRegistry registry, HTTPServer server, String host) {
        this.registry = registry;
        this.server = server;
        this.host = host;
    }

    /**
     * Serves {@code /metrics} on {@code host:port} (port 0: a free one).
     *
     * @throws java.net.BindException when the port is in use, which each role words its own way
     */
    public static MetricsServer start(String host, int port) throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        JvmMetrics.builder().register(registry);
        return new MetricsServer(registry,
                HTTPServer.builder().hostname(host).port(port).registry(registry).buildAndStart(), host);
    }

    /**
     * {@code metric} registered on {@code registry}, or only built when the role serves no metrics (null), so that
     * the code that updates it never asks whether it is served.
     */
    public static <M extends MetricWithFixedMetadata> M register(MetricWithFixedMetadata.Builder<?, M> metric,
                                                             PrometheusRegistry registry) {
        return registry == null ? metric.build() : metric.register(registry);
    }

    /** Where the role registers its metrics. */
    public PrometheusRegistry registry() {
        return registry;
    }

    public int port() {
        return server.getPort();
    }

    /** The URL to scrape; on a wildcard host, the loopback one. */
    public String url() {
        String h = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
        return "http://" + h + ":" + port() + "/metrics";
    }

    /** Stops the server; once only, as a role's shutdown path and its failure path may both get here. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.close();
        }
    }
}
