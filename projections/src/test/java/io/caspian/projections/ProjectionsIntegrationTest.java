package io.caspian.projections;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusEntity;
import io.caspian.control.entity.nexus.NexusSpec;
import io.caspian.control.journal.JournalSchema;
import io.caspian.control.journal.JournalSettings;
import io.caspian.events.ChildState;
import io.caspian.events.proto.pub.EventEnvelope;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import io.caspian.kafka.TopicAdmin;
import io.caspian.projections.rest.EventsRoute;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Directives;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real entities journal into H2 or PostgreSQL while the projections run against a real broker; the control plane's
 * actor system is stopped mid-stream and started again. Afterwards every journaled event is in the audit table
 * exactly once, and on the topic with each entity's events in order (a re-sent event only with its own id).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProjectionsIntegrationTest {
    private static final Duration T = Duration.ofSeconds(60);
    private static final int NEXUSES = 6;
    private static final int TOGGLES = 16;

    @TempDir
    static Path dir;
    static KafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = KafkaBroker.start(dir.resolve("kafka"));
        try (TopicAdmin topics = new TopicAdmin(broker.bootstrapServers())) {
            topics.ensure(BusTopics.all((short) 1), T);
        }
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    @Order(1)
    void onH2() throws Exception {
        run(JournalSettings.h2(dir.resolve("h2")), "h2-");
    }

    @Test
    @Order(2)
    void onPostgres() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            run(new JournalSettings(JournalSettings.Kind.POSTGRES, pg.getJdbcUrl("postgres", "postgres"),
                    "postgres", ""), "pg-");
        }
    }

    /** The broker goes away and comes back while events are journaled: the producer retries, nothing is lost. */
    @Test
    @Order(3)
    void aBrokerRestartLosesNothing() throws Exception {
        JournalSettings journal = JournalSettings.h2(dir.resolve("h2-broker"));
        JournalSchema.ensure(journal);
        Config config = config(journal);
        ActorSystem<Void> system = startSystem(config);
        try {
            Projections projections = Projections.start(system, config);
            generate(system, "br-", 0, TOGGLES / 2);
            broker.restart();
            generate(system, "br-", TOGGLES / 2, TOGGLES, false);
            DataSource ds = projections.database().dataSource();
            List<String> journaled = StreamChecks.journaled(ds, "br-");
            assertEquals(NEXUSES * (1 + TOGGLES), journaled.size());
            StreamChecks.auditTableHoldsExactly(ds, "br-", journaled);
            StreamChecks.topicHoldsInOrder(broker.bootstrapServers(), "br-", journaled);
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /** An outside client: Debian's kcat reads the raw records, the public schema decodes them. */
    @Test
    @Order(4)
    void kcatReadsTheTopicAndThePublicSchemaDecodesIt() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/kcat")), "kcat is not installed (apt install kcat)");
        Process p = new ProcessBuilder("kcat", "-C", "-b", broker.bootstrapServers(), "-t", BusTopics.EVENTS,
                "-o", "beginning", "-e", "-q", "-f", "%k\t%S\t%s").start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        Map<String, List<Long>> seqByEntity = new HashMap<>();
        int records = 0;
        for (int i = 0; i < out.length; records++) {
            int tab = indexOf(out, (byte) '\t', i);
            String key = new String(out, i, tab - i, StandardCharsets.UTF_8);
            int tab2 = indexOf(out, (byte) '\t', tab + 1);
            int size = Integer.parseInt(new String(out, tab + 1, tab2 - tab - 1, StandardCharsets.US_ASCII));
            EventEnvelope e = EventEnvelope.parseFrom(java.util.Arrays.copyOfRange(out, tab2 + 1, tab2 + 1 + size));
            assertEquals(key, e.getEntityId());
            List<Long> seqs = seqByEntity.computeIfAbsent(e.getEntityType() + "|" + key, k -> new ArrayList<>());
            if (!seqs.contains(e.getSequenceNr())) {
                seqs.add(e.getSequenceNr());
            }
            i = tab2 + 1 + size;
        }
        // Both database runs published 6 nexuses with 1 + 16 events each.
        assertTrue(records >= 2 * NEXUSES * (1 + TOGGLES), "kcat read " + records + " records");
        for (Map.Entry<String, List<Long>> e : seqByEntity.entrySet()) {
            for (int k = 0; k < e.getValue().size(); k++) {
                assertEquals(k + 1, e.getValue().get(k), "order of " + e.getKey());
            }
        }
    }

    private static int indexOf(byte[] b, byte v, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == v) {
                return i;
            }
        }
        throw new AssertionError("kcat output ends inside a record");
    }

    private void run(JournalSettings journal, String prefix) throws Exception {
        JournalSchema.ensure(journal);
        Config config = config(journal);
        ActorSystem<Void> first = startSystem(config);
        Projections.start(first, config);
        generate(first, prefix, 0, TOGGLES / 2);
        // Stop while the projections are still behind the journal (no waiting for them to catch up).
        first.terminate();
        first.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);

        ActorSystem<Void> second = startSystem(config);
        try {
            Projections projections = Projections.start(second, config);
            generate(second, prefix, TOGGLES / 2, TOGGLES);
            DataSource ds = projections.database().dataSource();
            List<String> journaled = StreamChecks.journaled(ds, prefix);
            assertEquals(NEXUSES * (1 + TOGGLES), journaled.size());

            StreamChecks.auditTableHoldsExactly(ds, prefix, journaled);
            StreamChecks.topicHoldsInOrder(broker.bootstrapServers(), prefix, journaled);
            assertPagesOverHttp(second, projections, prefix);
        } finally {
            second.terminate();
            second.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static Config config(JournalSettings journal) {
        return ProjectionTestSupport.config(journal, String.join("\n",
                "pekko.actor.provider = cluster",
                "pekko.remote.artery.canonical.hostname = 127.0.0.1",
                "pekko.remote.artery.canonical.port = 0",
                "pekko.cluster.roles = [control]",
                "pekko.coordinated-shutdown.exit-jvm = off",
                "caspian.projections.kafka.bootstrap-servers = \"" + broker.bootstrapServers() + "\"",
                "caspian.projections.kafka.save-offset-after-events = 10",
                "caspian.projections.audit.group-size = 20"));
    }

    private static ActorSystem<Void> startSystem(Config config) {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "caspian", config);
        Cluster cluster = Cluster.get(system);
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
        return system;
    }

    /** Creates the nexuses (on the first round) and toggles one child of each between faulted and online. */
    private static void generate(ActorSystem<Void> system, String prefix, int from, int to) throws Exception {
        generate(system, prefix, from, to, true);
    }

    private static final Map<String, List<ActorRef<NexusCommand>>> SPAWNED = new HashMap<>();

    private static void generate(ActorSystem<Void> system, String prefix, int from, int to, boolean spawn)
            throws Exception {
        if (spawn) {
            List<ActorRef<NexusCommand>> refs = new ArrayList<>();
            for (int n = 0; n < NEXUSES; n++) {
                refs.add(system.systemActorOf(NexusEntity.create(prefix + "nexus-" + n, EntitySettings.DEFAULT),
                        prefix + "nexus-" + n, Props.empty()));
            }
            SPAWNED.put(prefix + system.hashCode(), refs);
        }
        List<ActorRef<NexusCommand>> nexuses = SPAWNED.get(prefix + system.hashCode());
        if (from == 0) {
            for (int i = 0; i < NEXUSES; i++) {
                int n = i;
                String id = prefix + "nexus-" + n;
                ask(nexuses.get(n), r -> new NexusCommand.Create(new NexusSpec("node-" + (n % 2), 1 << 20,
                        prefix + "vol-" + n, List.of(new Child("bdev:///" + id, "rep-" + id, ChildState.ONLINE,
                        ""))), r), system);
            }
        }
        for (int i = from; i < to; i++) {
            ChildState state = i % 2 == 0 ? ChildState.FAULTED : ChildState.ONLINE;
            for (int n = 0; n < NEXUSES; n++) {
                String uri = "bdev:///" + prefix + "nexus-" + n;
                ask(nexuses.get(n), r -> new NexusCommand.SetChildState(uri, state, "test", r), system);
            }
        }
    }

    private static void ask(ActorRef<NexusCommand> to, java.util.function.Function<ActorRef<Reply>, NexusCommand> c,
                            ActorSystem<Void> system) throws Exception {
        Reply r = AskPattern.ask(to, c::apply, Duration.ofSeconds(10), system.scheduler()).toCompletableFuture()
                .get(15, TimeUnit.SECONDS);
        assertTrue(r instanceof Reply.Ok, String.valueOf(r));
    }

    private static void assertPagesOverHttp(ActorSystem<Void> system, Projections p, String prefix)
            throws Exception {
        ServerBinding binding = Http.get(system).newServerAt("127.0.0.1", 0)
                .bind(Directives.pathPrefix("v0", () -> new EventsRoute(p.queries(), p.queryThreads()).route()))
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        try {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + binding.localAddress().getPort() + "/v0/events";
            ObjectMapper json = new ObjectMapper();
            List<String> types = new ArrayList<>();
            String cursor = null;
            for (int page = 0; page < 20; page++) {
                String url = base + "?volume=" + prefix + "vol-2&order=desc&limit=5"
                        + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                JsonNode body = json.readTree(r.body());
                body.get("events").forEach(e -> types.add(e.get("type").asText()));
                cursor = body.get("next_cursor").isNull() ? null : body.get("next_cursor").asText();
                if (cursor == null) {
                    break;
                }
            }
            assertEquals(1 + TOGGLES, types.size());
            assertEquals("NexusCreated", types.get(types.size() - 1));
            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(base + "?limit=5000")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, bad.statusCode());
            assertTrue(bad.body().contains("limit must be between 1 and 1000"), bad.body());
        } finally {
            binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
