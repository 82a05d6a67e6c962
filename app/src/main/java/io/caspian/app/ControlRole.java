package io.caspian.app;

import com.typesafe.config.Config;
import io.caspian.control.ControlPlane;
import io.caspian.projections.Projections;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;

/** {@code caspian control}: the control plane alone (cluster role control), until the JVM is stopped. */
final class ControlRole {
    static final java.util.Set<String> FLAGS = RoleConfig.union(RoleConfig.COMMON, RoleConfig.CONTROL);

    private ControlRole() {
    }

    static void run(Flags f) {
        if (!f.positional().isEmpty()) {
            throw new UsageException("control takes no arguments, got " + f.positional());
        }
        Config config = RoleConfig.build(f, List.of(ControlPlane.ROLE));
        MetricsEndpoint metrics = MetricsEndpoint.fromConfig(config);
        ControlPlane control;
        try {
            PrometheusRegistry registry = MetricsEndpoint.registryOf(metrics);
            control = ControlPlane.start(config, List.of(Projections.extension(registry)), registry);
        } catch (RuntimeException e) {
            if (metrics != null) {
                metrics.close();
            }
            throw e;
        }
        Bootstrap.startIfEnabled(control.system());
        System.out.println("control plane up; REST API on " + control.restScheme() + "://"
                + config.getString("caspian.control.rest.host") + ":" + control.restPort() + " ("
                + control.restAuth().describe() + "), cluster at " + control.system().address() + ", Kafka "
                + kafkaOrOff(config.getString("caspian.control.bus.bootstrap-servers")) + ", metrics "
                + MetricsEndpoint.describe(metrics));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            control.close();
            if (metrics != null) {
                metrics.close();
            }
        }, "caspian-control-stop"));
        control.system().getWhenTerminated().toCompletableFuture().join();
    }

    static String kafkaOrOff(String bootstrap) {
        return bootstrap.isBlank() ? "off (--kafka host:port names the io bus)" : bootstrap;
    }
}
