package io.caspian.app;

import com.typesafe.config.Config;
import io.caspian.datanode.metrics.IoEngineMetrics;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.BindException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One JVM's {@code /metrics}: a registry of its own (never the library's global one, so that tests
 * may run several in one JVM), the JVM and process metrics, and the Prometheus client's HTTP server,
 * which answers in the text format or OpenMetrics as the scraper's Accept header asks. The roles
 * in the JVM add their metrics to {@link #registry()}; the io-engines share {@link #ioEngines()}.
 * Closing it stops the server; it goes with the role that started it.
 */
final class MetricsEndpoint implements AutoCloseable {

    /** Mayastor's io-engine exporter port, what its users' scrape configs name; {@code up}'s default. */
    static final int DEFAULT_PORT = 9502;

    private final PrometheusRegistry registry;
    private final HTTPServer server;
    private final String host;
    private final AtomicBoolean closed = new AtomicBoolean();
    private IoEngineMetrics ioEngines;

    private MetricsEndpoint(PrometheusRegistry registry, HTTPServer server, String host) {
        this.registry = registry;
        this.server = server;
        this.host = host;
    }

    /** The endpoint {@code caspian.metrics} asks for; null when its port is 0 (off). */
    static MetricsEndpoint fromConfig(Config config) {
        int port = config.getInt("caspian.metrics.port");
        return port == 0 ? null : start(config.getString("caspian.metrics.host"), port, false);
    }

    /**
     * Serves {@code /metrics} on {@code host:port}. With {@code orFreePort}, a port in use gives way to a free one
     * (what {@code up} does with its REST port too) instead of failing.
     */
    static MetricsEndpoint start(String host, int port, boolean orFreePort) {
        PrometheusRegistry registry = new PrometheusRegistry();
        JvmMetrics.builder().register(registry);
        HTTPServer server;
        try {
            server = bind(registry, host, port);
        } catch (BindException e) {
            if (!orFreePort) {
                throw new UsageException("--metrics-port " + port + ": " + host + ":" + port + " is in use");
            }
            try {
                server = bind(registry, host, 0);
            } catch (IOException again) {
                throw new IllegalStateException("cannot serve /metrics on " + host + ": " + again.getMessage(), again);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot serve /metrics on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        return new MetricsEndpoint(registry, server, host);
    }

    private static HTTPServer bind(PrometheusRegistry registry, String host, int port) throws IOException {
        return HTTPServer.builder().hostname(host).port(port).registry(registry).buildAndStart();
    }

    PrometheusRegistry registry() {
        return registry;
    }

    /** The collector of this JVM's io-engines, registered on first use. */
    synchronized IoEngineMetrics ioEngines() {
        if (ioEngines == null) {
            ioEngines = new IoEngineMetrics();
            registry.register(ioEngines);
        }
        return ioEngines;
    }

    int port() {
        return server.getPort();
    }

    String url() {
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

    /** For a role's start-up line. */
    static String describe(MetricsEndpoint m) {
        return m == null ? "off (--metrics-port P serves them)" : m.url();
    }

    static PrometheusRegistry registryOf(MetricsEndpoint m) {
        return m == null ? null : m.registry();
    }
}
