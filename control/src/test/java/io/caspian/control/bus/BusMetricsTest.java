package io.caspian.control.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BusMetricsTest {

    @Test
    void eachScrapeReadsTheConsumersFiguresThen() {
        AtomicReference<ConsumerStats> now = new AtomicReference<>(new ConsumerStats(5, 2, 1, 0, 7));
        BusMetrics metrics = new BusMetrics(now::get);
        MetricSnapshots s = metrics.collect();
        assertEquals(5.0, counter(s, "applied"));
        assertEquals(2.0, counter(s, "duplicate"));
        assertEquals(1.0, counter(s, "failed"));
        assertEquals(0.0, counter(s, "malformed"));
        assertEquals(7.0, lag(s));
        now.set(new ConsumerStats(12, 2, 1, 3, 0));
        s = metrics.collect();
        assertEquals(12.0, counter(s, "applied"));
        assertEquals(3.0, counter(s, "malformed"));
        assertEquals(0.0, lag(s), "read at the scrape, not remembered");
    }

    private static double counter(MetricSnapshots s, String result) {
        for (MetricSnapshot m : s) {
            if (m instanceof CounterSnapshot c && c.getMetadata().getName().equals("caspian_bus_consumer_records")) {
                return c.getDataPoints().stream().filter(p -> p.getLabels().equals(Labels.of("result", result)))
                        .findFirst().orElseThrow().getValue();
            }
        }
        throw new AssertionError("no caspian_bus_consumer_records");
    }

    private static double lag(MetricSnapshots s) {
        for (MetricSnapshot m : s) {
            if (m instanceof GaugeSnapshot g && g.getMetadata().getName().equals("caspian_bus_consumer_lag_records")) {
                return g.getDataPoints().get(0).getValue();
            }
        }
        throw new AssertionError("no caspian_bus_consumer_lag_records");
    }
}
