package io.caspian.diskpool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The operator's passes are counted by outcome and timed on the registry it is given. Against fabric8's mock
 * server and an API that does not answer, so no control plane is needed: a DiskPool's first pass settles by adding
 * the finalizer, every later one is retried because the API tells nothing about the pool.
 */
class OperatorMetricsTest {
    private static final String NS = "caspian";

    @Test
    void passesAreCountedByOutcomeAndTimed() {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        try (KubernetesClient client = server.createClient()) {
            client.apiextensions().v1().customResourceDefinitions()
                    .load(Path.of("../k8s/base/crd-diskpool.yaml").toFile()).create();
            PrometheusRegistry registry = new PrometheusRegistry();
            PoolApi silent = new PoolApi("http://127.0.0.1:1", Duration.ofSeconds(2), Optional.empty());
            try (Operator operator = new Operator(client, NS, silent, Duration.ofSeconds(30), registry).start()) {
                DiskPool dp = new DiskPool();
                dp.setMetadata(new ObjectMetaBuilder().withName("pool-1").withNamespace(NS).build());
                dp.setSpec(new DiskPoolSpec("node-1", List.of("malloc:///pool-1?size_mb=64"), Map.of()));
                client.resources(DiskPool.class).inNamespace(NS).resource(dp).create();

                Map<String, Double> passes = Waits.until("a settled pass and a retried one", Duration.ofSeconds(20),
                        () -> passes(registry), p -> p.containsKey(OperatorMetrics.RETRY));
                assertEquals(1.0, passes.get(OperatorMetrics.SETTLED), passes.toString());
                // Passes are timed after they are counted: wait for the histogram to have them all.
                Waits.until("every pass timed", Duration.ofSeconds(5), () -> timed(registry),
                        t -> t >= passes.values().stream().mapToDouble(Double::doubleValue).sum());
            }
        } finally {
            server.destroy();
        }
    }

    /** {@code caspian_diskpool_reconciles_total} by outcome. */
    private static Map<String, Double> passes(PrometheusRegistry registry) {
        Map<String, Double> m = new HashMap<>();
        for (CounterSnapshot.CounterDataPointSnapshot p : ((CounterSnapshot) snapshot(registry,
                "caspian_diskpool_reconciles")).getDataPoints()) {
            m.put(p.getLabels().get("outcome"), p.getValue());
        }
        return m;
    }

    private static long timed(PrometheusRegistry registry) {
        return ((HistogramSnapshot) snapshot(registry, "caspian_diskpool_reconcile_duration_seconds"))
                .getDataPoints().get(0).getCount();
    }

    private static MetricSnapshot snapshot(PrometheusRegistry registry, String name) {
        return registry.scrape().stream().filter(s -> s.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name));
    }
}
