package io.caspian.projections;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusEntity;
import io.caspian.control.entity.nexus.NexusSpec;
import io.caspian.control.journal.JournalSchema;
import io.caspian.control.journal.JournalSettings;
import io.caspian.control.journal.ProjectionDatabase;
import io.caspian.events.ChildState;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real nexus entities journal into H2; the projections' metrics are read as a scrape reads them. Events journaled
 * while no projection runs show as lag (their age, against a clock a minute ahead so the figure cannot round to
 * zero); once the projections run, the audit projection's event count reaches what was journaled and its lag
 * returns to zero.
 */
class ProjectionMetricsTest {
    private static final int TOGGLES = 7;

    @TempDir
    Path dir;

    private ActorSystem<Void> system;

    @BeforeEach
    void start() {
        JournalSettings journal = JournalSettings.h2(dir);
        JournalSchema.ensure(journal);
        Config config = config(journal);
        system = ActorSystem.create(Behaviors.empty(), "caspian", config);
        Cluster cluster = Cluster.get(system);
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }

    @AfterEach
    void stop() throws Exception {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void lagShowsEventsNotYetProjectedAndCountsReachTheJournal() throws Exception {
        int journaled = journalNexusEvents();
        Config config = system.settings().config();
        ProjectionSettings settings = ProjectionSettings.fromConfig(config);

        try (ProjectionDatabase db = Projections.prepare(system, settings)) {
            ProjectionMetrics before = new ProjectionMetrics(db.dataSource(), new ProjectionProgress(),
                    List.of(Projections.AUDIT), Projections.TAGS,
                    Clock.offset(Clock.systemUTC(), Duration.ofMinutes(1)));
            MetricSnapshots s = before.collect();
            assertTrue(value(s, "caspian_projection_lag_seconds", "audit", "nexus") >= 60,
                    "lag of unprojected nexus events: " + value(s, "caspian_projection_lag_seconds", "audit", "nexus"));
            assertEquals(0, value(s, "caspian_projection_lag_seconds", "audit", "volume"), "no volume events");
            assertEquals(0, value(s, "caspian_projection_events", "audit", "nexus"));
        }

        PrometheusRegistry registry = new PrometheusRegistry();
        Projections.start(system, config, registry);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        MetricSnapshots s = registry.scrape();
        while (value(s, "caspian_projection_events", "audit", "nexus") < journaled && System.nanoTime() < deadline) {
            Thread.sleep(100);
            s = registry.scrape();
        }
        assertEquals(journaled, value(s, "caspian_projection_events", "audit", "nexus"), "events projected");
        // Read in the same scrape as the count that reached the journal's end: nothing is left to wait.
        assertEquals(0, value(s, "caspian_projection_lag_seconds", "audit", "nexus"));
        assertEquals(0, value(s, "caspian_projection_events", "audit", "volume"));
    }

    /** One nexus created and one of its children toggled; returns how many events that journaled. */
    private int journalNexusEvents() throws Exception {
        ActorRef<NexusCommand> nexus = system.systemActorOf(NexusEntity.create("m-nexus", EntitySettings.DEFAULT),
                "m-nexus", Props.empty());
        String uri = "bdev:///m-nexus";
        ask(nexus, r -> new NexusCommand.Create(new NexusSpec("node-0", 1 << 20, "m-vol",
                List.of(new Child(uri, "rep-m", ChildState.ONLINE, ""))), r));
        for (int i = 0; i < TOGGLES; i++) {
            ChildState state = i % 2 == 0 ? ChildState.FAULTED : ChildState.ONLINE;
            ask(nexus, r -> new NexusCommand.SetChildState(uri, state, "test", r));
        }
        return 1 + TOGGLES;
    }

    private void ask(ActorRef<NexusCommand> to, java.util.function.Function<ActorRef<Reply>, NexusCommand> c)
            throws Exception {
        Reply r = AskPattern.ask(to, c::apply, Duration.ofSeconds(10), system.scheduler()).toCompletableFuture()
                .get(15, TimeUnit.SECONDS);
        assertTrue(r instanceof Reply.Ok, String.valueOf(r));
    }

    private static double value(MetricSnapshots snapshots, String name, String projection, String tag) {
        Labels labels = Labels.of("projection", projection, "tag", tag);
        for (MetricSnapshot m : snapshots) {
            if (!m.getMetadata().getName().equals(name)) {
                continue;
            }
            for (DataPointSnapshot p : m.getDataPoints()) {
                if (p.getLabels().equals(labels)) {
                    return p instanceof CounterSnapshot.CounterDataPointSnapshot c ? c.getValue()
                            : ((GaugeSnapshot.GaugeDataPointSnapshot) p).getValue();
                }
            }
        }
        throw new AssertionError("no " + name + "{projection=" + projection + ",tag=" + tag + "} in the scrape");
    }

    private static Config config(JournalSettings journal) {
        return ProjectionTestSupport.config(journal, String.join("\n",
                "pekko.actor.provider = cluster",
                "pekko.remote.artery.canonical.hostname = 127.0.0.1",
                "pekko.remote.artery.canonical.port = 0",
                "pekko.cluster.roles = [control]",
                "pekko.coordinated-shutdown.exit-jvm = off"));
    }
}
