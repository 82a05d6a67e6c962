package io.caspian.projections;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.events.proto.pub.EventEnvelope;
import io.caspian.kafka.BusTopics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What the projections must have done once they caught up with the journal: every event of the entities whose ids
 * start with a prefix is in the audit table exactly once, and on the topic with each entity's first deliveries in
 * sequence order (a re-sent event only with its own event id).
 */
final class StreamChecks {
    private static final Duration T = Duration.ofSeconds(60);

    private StreamChecks() {
    }

    static List<String> journaled(DataSource ds, String prefix) throws Exception {
        return ProjectionTestSupport.rows(ds, "SELECT persistence_id, sequence_number "
                        + "FROM event_journal WHERE persistence_id LIKE 'Nexus|" + prefix + "%'")
                .stream().map(s -> s.replace(' ', '|')).toList();
    }

    static void auditTableHoldsExactly(DataSource ds, String prefix, List<String> journaled)
            throws Exception {
        String sql = "SELECT event_id FROM audit_events WHERE entity_id LIKE '" + prefix + "%'";
        long deadline = System.nanoTime() + T.toNanos();
        List<String> rows = ProjectionTestSupport.rows(ds, sql);
        while (rows.size() < journaled.size() && System.nanoTime() < deadline) {
            Thread.sleep(200);
            rows = ProjectionTestSupport.rows(ds, sql);
        }
        assertEquals(new HashSet<>(journaled), new HashSet<>(rows));
        assertEquals(journaled.size(), rows.size(), "an event is in the audit table twice");
        List<String> owners = ProjectionTestSupport.rows(ds, "SELECT DISTINCT volume_id, "
                + "node FROM audit_events WHERE entity_id = '" + prefix + "nexus-3'");
        assertEquals(List.of(prefix + "vol-3 node-1"), owners);
    }

    static int topicHoldsInOrder(String bootstrap, String prefix, List<String> journaled) throws Exception {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, List<Long>> seqByEntity = new LinkedHashMap<>();
        Map<String, Integer> partitionOf = new HashMap<>();
        Set<String> seen = new HashSet<>();
        int duplicates = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(BusTopics.EVENTS).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long deadline = System.nanoTime() + T.toNanos();
            while (!seen.containsAll(journaled) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    EventEnvelope e = EventEnvelope.parseFrom(r.value());
                    if (!e.getEntityId().startsWith(prefix)) {
                        continue;
                    }
                    assertEquals(e.getEntityId(), r.key());
                    assertEquals(e.getEntityType() + "|" + e.getEntityId() + "|" + e.getSequenceNr(), e.getEventId());
                    Integer before = partitionOf.put(e.getEntityId(), r.partition());
                    assertTrue(before == null || before == r.partition(), "an entity's events in two partitions");
                    if (seen.add(e.getEventId())) {
                        seqByEntity.computeIfAbsent(e.getEntityId(), k -> new ArrayList<>()).add(e.getSequenceNr());
                    } else {
                        duplicates++;
                    }
                }
            }
        }
        assertEquals(new HashSet<>(journaled), seen);
        for (Map.Entry<String, List<Long>> e : seqByEntity.entrySet()) {
            List<Long> expected = new ArrayList<>();
            for (long s = 1; s <= e.getValue().size(); s++) {
                expected.add(s);
            }
            assertEquals(expected, e.getValue(), "first deliveries of " + e.getKey() + " out of order");
        }
        System.out.println("[projections-it] " + prefix + " " + seen.size() + " events on the topic, " + duplicates
                + " re-sent after the restart (same event ids)");
        return duplicates;
    }
}
