package io.caspian.control.bus;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.function.Supplier;

/**
 * The bus consumer's figures, read from its {@link ConsumerStats} on each scrape: records by what became of them
 * ({@code caspian_bus_consumer_records_total{result}}) and how far the consumer is behind the io-engines
 * ({@code caspian_bus_consumer_lag_records}; a fault waits that many records before the control plane sees it).
 */
public final class BusMetrics implements MultiCollector {

    private final Supplier<ConsumerStats> stats;

    public BusMetrics(Supplier<ConsumerStats> stats) {
        this.stats = stats;
    }

    @Override
    public MetricSnapshots collect() {
        ConsumerStats s = stats.get();
        CounterSnapshot records = CounterSnapshot.builder().name("caspian_bus_consumer_records")
                .help("io bus records the control plane consumed, by result: applied, duplicate (a redelivery "
                        + "recognised), failed (the entity did not answer; tried again), malformed (skipped)")
                .dataPoint(point("applied", s.applied()))
                .dataPoint(point("duplicate", s.duplicates()))
                .dataPoint(point("failed", s.failures()))
                .dataPoint(point("malformed", s.malformed()))
                .build();
        GaugeSnapshot lag = GaugeSnapshot.builder().name("caspian_bus_consumer_lag_records")
                .help("Records on the io topics past the control plane's position, as of its last poll")
                .dataPoint(GaugeDataPointSnapshot.builder().value(s.lag()).build())
                .build();
        return MetricSnapshots.of(records, lag);
    }

    private static CounterDataPointSnapshot point(String result, long n) {
        return CounterDataPointSnapshot.builder().labels(Labels.of("result", result)).value(n).build();
    }
}
