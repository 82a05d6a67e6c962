package io.caspian.projections;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import javax.sql.DataSource;
import org.apache.pekko.projection.ProjectionId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The projections' figures, read on scrape: {@code caspian_projection_events_total{projection,tag}}, events this JVM
 * projected, and {@code caspian_projection_lag_seconds{projection,tag}}, how long the oldest journaled event the
 * projection has not yet processed has been waiting (0 when it has processed everything of its tag). The lag
 * stays 0 on an idle system and grows steadily while a projection is stuck, so one threshold fits every load; the
 * age of the newest processed event would grow on an idle system too. Two index lookups per series and scrape,
 * nothing between scrapes.
 */
public final class ProjectionMetrics implements MultiCollector {
    private static final Logger LOG = LoggerFactory.getLogger(ProjectionMetrics.class);
    // The tag's index (tag, event_id) finds the first event past the position; see JournalTail.
    private static final String OLDEST_UNPROCESSED = "SELECT \"write_timestamp\" FROM \"event_journal\" "
            + "WHERE \"ordering\" IN (SELECT \"event_id\" FROM \"event_tag\" WHERE \"tag\" = ? AND \"event_id\" > ? "
            + "ORDER BY \"tag\", \"event_id\" LIMIT 1)";
    // The offset store as pekko-projection-jdbc's H2 and PostgreSQL dialects create it (lower-case names); read
    // here rather than through ProjectionManagement, which asks the running projection and so waits on a stuck one.
    private static final String STORED_OFFSET = "SELECT \"current_offset\" FROM \"pekko_projection_offset_store\" "
            + "WHERE \"projection_name\" = ? AND \"projection_key\" = ? AND \"manifest\" = 'SEQ'";
    private static final int QUERY_TIMEOUT_SECONDS = 5;

    private final DataSource journal;
    private final ProjectionProgress progress;
    private final List<String> projections;
    private final List<String> tags;
    private final Clock clock;

    public ProjectionMetrics(DataSource journal, ProjectionProgress progress, List<String> projections,
                             List<String> tags, Clock clock) {
        this.journal = journal;
        this.progress = progress;
        this.projections = List.copyOf(projections);
        this.tags = List.copyOf(tags);
        this.clock = clock;
    }

    @Override
    public MetricSnapshots collect() {
        CounterSnapshot.Builder events = CounterSnapshot.builder().name("caspian_projection_events")
                .help("Journaled events a projection processed in this process (audit: committed with its offset; "
                        + "public-events: acknowledged by Kafka)");
        GaugeSnapshot.Builder lag = GaugeSnapshot.builder().name("caspian_projection_lag_seconds")
                .help("Age of the oldest journaled event of the tag the projection has not processed; 0 when none");
        for (String projection : projections) {
            for (String tag : tags) {
                events.dataPoint(CounterDataPointSnapshot.builder().labels(labels(projection, tag))
                        .value(progress.events(ProjectionId.of(projection, tag))).build());
            }
        }
        try (Connection c = journal.getConnection(); PreparedStatement s = c.prepareStatement(OLDEST_UNPROCESSED);
             PreparedStatement stored = c.prepareStatement(STORED_OFFSET)) {
            s.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            stored.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            long now = clock.millis();
            for (String projection : projections) {
                for (String tag : tags) {
                    lag.dataPoint(GaugeDataPointSnapshot.builder().labels(labels(projection, tag))
                            .value(lagSeconds(s, tag, position(stored, ProjectionId.of(projection, tag)), now))
                            .build());
                }
            }
            c.rollback();
            return MetricSnapshots.of(events.build(), lag.build());
        } catch (SQLException | NumberFormatException e) {
            // A scrape still shows the counters; a missing lag series is what an alert on absence catches.
            LOG.warn("cannot read the projections' lag from the journal: {}", e.getMessage());
            return MetricSnapshots.of(events.build());
        }
    }

    private static Labels labels(String projection, String tag) {
        return Labels.of("projection", projection, "tag", tag);
    }

    /**
     * The newer of what this JVM saw processed (ahead of the stored offset by up to the Kafka projection's save
     * interval) and the stored offset (the only figure while the projection runs on another node, or has processed
     * nothing since this JVM started).
     */
    private long position(PreparedStatement stored, ProjectionId id) throws SQLException {
        stored.setString(1, id.name());
        stored.setString(2, id.key());
        long offset;
        try (ResultSet r = stored.executeQuery()) {
            offset = r.next() ? Long.parseLong(r.getString(1)) : 0;
        }
        return Math.max(offset, progress.ordering(id).orElse(0));
    }

    private static double lagSeconds(PreparedStatement s, String tag, long position, long now) throws SQLException {
        s.setString(1, tag);
        s.setLong(2, position);
        try (ResultSet r = s.executeQuery()) {
            return r.next() ? Math.max(0, now - r.getLong(1)) / 1000.0 : 0;
        }
    }
}
