package io.caspian.app;

import com.typesafe.config.Config;
import io.caspian.datanode.metrics.IoEngineMetrics;
import io.caspian.metrics.MetricsServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.BindException;

/**
 * One JVM's {@code /metrics} as the app's roles start it (a {@link MetricsServer}): from {@code caspian.metrics},
 * with a port in use a usage error, or for {@code up} a free port instead. The roles in the JVM add their metrics to
 * {@link #registry()}; the io-engines share {@link #ioEngines()}. Closing it stops the server; it goes with the role
 * that started it.
 */
final class MetricsEndpoint implements AutoCloseable {

    /** Mayastor's io-engine exporter port, what its users' scrape configs name; {@code up}'s default. */
    static final int DEFAULT_PORT = 9502;

    private final MetricsServer server;
    private IoEngineMetrics ioEngines;

    private MetricsEndpoint(MetricsServer server) {
        this.server = server;
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
        try {
            return new MetricsEndpoint(MetricsServer.start(host, port));
        } catch (BindException e) {
            if (!orFreePort) {
                throw new UsageException("--metrics-port " + port + ": " + host + ":" + port + " is in use");
            }
            try {
                return new MetricsEndpoint(MetricsServer.start(host, 0));
            } catch (IOException again) {
                throw new IllegalStateException("cannot serve /metrics on " + host + ": " + again.getMessage(), again);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot serve /metrics on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    PrometheusRegistry registry() {
        return server.registry();
    }

    /** The collector of this JVM's io-engines, registered on first use. */
    synchronized IoEngineMetrics ioEngines() {
        if (ioEngines == null) {
            ioEngines = new IoEngineMetrics();
            registry().register(ioEngines);
        }
        return ioEngines;
    }

    int port() {
        return server.port();
    }

    String url() {
        return server.url();
    }

    /** Stops the server; once only, as a role's shutdown path and its failure path may both get here. */
    @Override
    public void close() {
        server.close();
    }

    /** For a role's start-up line. */
    static String describe(MetricsEndpoint m) {
        return m == null ? "off (--metrics-port P serves them)" : m.url();
    }

    static PrometheusRegistry registryOf(MetricsEndpoint m) {
        return m == null ? null : m.registry();
    }
}
