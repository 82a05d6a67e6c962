package io.caspian.projections;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.caspian.control.journal.JournalSettings;
import io.caspian.control.journal.ProjectionDatabase;
import io.caspian.events.proto.pub.EventEnvelope;
import io.caspian.projections.kafka.PublicEventPublisher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.projection.testkit.javadsl.ProjectionTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PublicEventProjectionTest {
    @TempDir
    Path dir;

    private ActorTestKit kit;
    private ProjectionDatabase db;
    private ProjectionSettings settings;
    private final MockProducer<String, byte[]> producer =
            new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());

    @BeforeEach
    void start() {
        var config = ProjectionTestSupport.config(JournalSettings.h2(dir),
                "caspian.projections.kafka.save-offset-after-events = 1");
        kit = ActorTestKit.create("kafka", config);
        settings = ProjectionSettings.fromConfig(config);
        db = Projections.prepare(kit.system(), settings);
    }

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
        db.close();
    }

    private void run(List<org.apache.pekko.projection.eventsourced.EventEnvelope<Object>> events, int expected) {
        var publisher = new PublicEventPublisher(producer, "caspian.events", 16);
        ProjectionTestKit.create(kit.system()).run(Projections.publicEventsProjection(kit.system(),
                        TestEvents.source(events), db, publisher, settings, "test"), Duration.ofSeconds(10),
                () -> assertEquals(expected, producer.history().size()));
    }

    @Test
    void everyEventIsSentKeyedByEntityInJournalOrderWithItsPublicEnvelope() throws Exception {
        var story = TestEvents.volumeStory();
        run(story, story.size());

        Map<String, List<Long>> seqByEntity = new LinkedHashMap<>();
        List<EventEnvelope> sent = new ArrayList<>();
        for (ProducerRecord<String, byte[]> r : producer.history()) {
            EventEnvelope e = EventEnvelope.parseFrom(r.value());
            assertEquals("caspian.events", r.topic());
            assertEquals(e.getEntityId(), r.key());
            seqByEntity.computeIfAbsent(e.getEntityType() + "|" + e.getEntityId(), k -> new ArrayList<>())
                    .add(e.getSequenceNr());
            sent.add(e);
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqByEntity.get("Nexus|nex-1"));
        assertEquals(List.of(1L, 2L, 3L), seqByEntity.get("Volume|vol-1"));
        EventEnvelope faulted = sent.get(6);
        assertEquals("Nexus|nex-1|2", faulted.getEventId());
        assertEquals("ChildFaulted", faulted.getEventType());
        assertEquals("I/O error", faulted.getNexus().getChildFaulted().getReason());
        assertEquals("node-a", sent.get(4).getOriginNode());
        assertEquals(story.get(6).timestamp(), faulted.getTimestampMillis());
    }

    @Test
    void aRestartedProjectionSendsOnlyWhatWasNotAcknowledged() {
        var story = TestEvents.volumeStory();
        run(story.subList(0, 5), 5);
        run(story, story.size());
        List<String> ids = producer.history().stream().map(r -> {
            try {
                return EventEnvelope.parseFrom(r.value()).getEventId();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).toList();
        assertEquals(ids.size(), ids.stream().distinct().count(), "sent twice: " + ids);
    }
}
