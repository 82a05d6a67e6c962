package io.caspian.control.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import org.junit.jupiter.api.Test;

class ReconcileMetricsTest {

    @Test
    void passesAreTimedByKindAndTheirVolumesCounted() {
        PrometheusRegistry registry = new PrometheusRegistry();
        ReconcileMetrics m = ReconcileMetrics.on(registry);
        m.passed("sweep", System.nanoTime(), 3);
        m.passed("changes", System.nanoTime(), 1);
        m.passed("changes", System.nanoTime(), 2);
        MetricSnapshots s = registry.scrape();
        assertEquals(1, passes(s, "sweep"));
        assertEquals(2, passes(s, "changes"));
        assertEquals(0, passes(s, "page"));
        CounterSnapshot volumes = (CounterSnapshot) find(s, "caspian_reconcile_volumes");
        assertEquals(6.0, volumes.getDataPoints().get(0).getValue());
    }

    @Test
    void withoutARegistryPassesAreStillAcceptedAndServedNowhere() {
        ReconcileMetrics.on(null).passed("sweep", System.nanoTime(), 1);
    }

    private static long passes(MetricSnapshots s, String kind) {
        HistogramSnapshot h = (HistogramSnapshot) find(s, "caspian_reconcile_pass_duration_seconds");
        return h.getDataPoints().stream().filter(p -> p.getLabels().equals(Labels.of("kind", kind)))
                .mapToLong(HistogramSnapshot.HistogramDataPointSnapshot::getCount).sum();
    }

    private static MetricSnapshot find(MetricSnapshots s, String name) {
        for (MetricSnapshot m : s) {
            if (m.getMetadata().getName().equals(name)) {
                return m;
            }
        }
        throw new AssertionError("no " + name + " in the scrape");
    }
}
