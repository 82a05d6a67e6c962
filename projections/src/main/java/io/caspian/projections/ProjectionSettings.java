package io.caspian.projections;

import com.typesafe.config.Config;
import io.caspian.control.journal.JournalSettings;
import io.caspian.kafka.KafkaClientSecurity;
import java.time.Duration;

/**
 * {@code caspian.projections}, the journal database they share and how the public-event producer authenticates to
 * Kafka ({@code caspian.kafka.client}, as every Kafka client of Caspian).
 */
public record ProjectionSettings(JournalSettings journal, String bootstrapServers, KafkaClientSecurity kafkaSecurity,
                                 String topic, int inFlight,
                                 int saveOffsetAfterEvents, Duration saveOffsetAfter, int auditGroupSize,
                                 Duration auditGroupWithin, int poolSize, int queryThreads) {

    public static ProjectionSettings fromConfig(Config config) {
        Config p = config.getConfig("caspian.projections");
        int poolSize = p.getInt("pool-size");
        int dispatcher = config.getInt("pekko.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor"
                + ".fixed-pool-size");
        if (dispatcher != poolSize) {
            throw new IllegalArgumentException("caspian.projections.pool-size (" + poolSize + ") must equal "
                    + "pekko.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size ("
                    + dispatcher + ")");
        }
        return new ProjectionSettings(JournalSettings.fromConfig(config), p.getString("kafka.bootstrap-servers"),
                KafkaClientSecurity.fromConfig(config), p.getString("kafka.topic"), p.getInt("kafka.in-flight"), p.getInt("kafka.save-offset-after-events"),
                p.getDuration("kafka.save-offset-after"), p.getInt("audit.group-size"),
                p.getDuration("audit.group-within"), poolSize, p.getInt("query-threads"));
    }

    public boolean kafkaEnabled() {
        return !bootstrapServers.isBlank();
    }
}
