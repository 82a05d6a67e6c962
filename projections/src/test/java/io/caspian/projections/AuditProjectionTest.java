package io.caspian.projections;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.caspian.control.journal.JournalSettings;
import io.caspian.control.journal.ProjectionDatabase;
import io.caspian.projections.audit.AuditStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.testkit.javadsl.ProjectionTestKit;
import org.apache.pekko.projection.testkit.javadsl.TestSourceProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditProjectionTest {
    @TempDir
    Path dir;

    private ActorTestKit kit;
    private ProjectionDatabase db;
    private ProjectionSettings settings;

    @BeforeEach
    void start() {
        JournalSettings journal = JournalSettings.h2(dir);
        var config = ProjectionTestSupport.config(journal, "caspian.projections.audit.group-size = 5");
        kit = ActorTestKit.create("audit", config);
        settings = ProjectionSettings.fromConfig(config);
        db = Projections.prepare(kit.system(), settings);
    }

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
        db.close();
    }

    private void run(List<EventEnvelope<Object>> events, Runnable check) {
        TestSourceProvider<Offset, EventEnvelope<Object>> source =
                TestEvents.source(events);
        ProjectionTestKit.create(kit.system()).run(Projections.auditProjection(kit.system(), source, db,
                new AuditStore(settings.journal().kind()), settings, "test"), Duration.ofSeconds(10), check::run);
    }

    @Test
    void everyEventIsOneRowWithItsVolumeAndNodeEvenWhenTheEventNamesNeither() throws Exception {
        List<EventEnvelope<Object>> story = TestEvents.volumeStory();
        run(story, () -> assertEquals(story.size(), count()));

        List<String> rows = ProjectionTestSupport.rows(db.dataSource(), "SELECT event_id, volume_id, node, "
                + "event_type FROM audit_events ORDER BY event_time");
        assertEquals("Node|node-a|1 null node-a NodeRegistered", rows.get(0));
        assertEquals("Volume|vol-1|1 vol-1 null VolumeCreated", rows.get(1));
        assertEquals("Replica|rep-2|1 vol-1 node-b ReplicaCreated", rows.get(3));
        assertEquals("Volume|vol-1|2 vol-1 node-a VolumePublished", rows.get(5));
        // Neither event names a volume or node: both come from the entity's creation, remembered in audit_entities.
        assertEquals("Nexus|nex-1|2 vol-1 node-a ChildFaulted", rows.get(6));
        assertEquals("Replica|rep-2|2 vol-1 node-b ReplicaStatusChanged", rows.get(8));
        assertEquals("Volume|vol-1|3 vol-1 node-a VolumeStatusChanged", rows.get(9));
        assertEquals("Nexus|nex-1|5 vol-1 node-a ChildOnline", rows.get(11));
        List<String> payload = ProjectionTestSupport.rows(db.dataSource(),
                "SELECT payload FROM audit_events WHERE event_id = 'Nexus|nex-1|2'");
        assertEquals(List.of("{\"uri\":\"nvmf://node-b/rep-2\",\"reason\":\"I/O error\"}"), payload);
        // A change the bus delivered names the record that caused it.
        assertEquals(List.of("{\"uri\":\"nvmf://node-b/rep-2\",\"mark\":{\"node\":\"node-a\","
                        + "\"topic\":\"caspian.nexus.events\",\"source\":\"inc-7\",\"seq\":12,"
                        + "\"timeMillis\":1700000000000}}"),
                ProjectionTestSupport.rows(db.dataSource(),
                        "SELECT payload FROM audit_events WHERE event_id = 'Nexus|nex-1|5'"));
    }

    @Test
    void aRestartedProjectionResumesAfterItsOffsetAndWritesNothingTwice() throws Exception {
        List<EventEnvelope<Object>> story = TestEvents.volumeStory();
        run(story.subList(0, 7), () -> assertEquals(7, count()));
        // The source starts after the offset the first run stored, as the journal's eventsByTag does.
        run(story, () -> assertEquals(story.size(), count()));
        assertEquals(List.of(String.valueOf(story.size())), ProjectionTestSupport.rows(db.dataSource(),
                "SELECT COUNT(DISTINCT event_id) FROM audit_events"));
        List<String> faulted = ProjectionTestSupport.rows(db.dataSource(),
                "SELECT volume_id, node FROM audit_events WHERE event_id = 'Nexus|nex-1|5'");
        assertEquals(List.of("vol-1 node-a"), faulted);
    }

    private int count() {
        try {
            return Integer.parseInt(ProjectionTestSupport.rows(db.dataSource(),
                    "SELECT COUNT(*) FROM audit_events").get(0));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
