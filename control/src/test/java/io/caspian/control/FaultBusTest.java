package io.caspian.control;

import static io.caspian.control.FaultLoopSupport.await;
import static io.caspian.control.FaultLoopSupport.verify;
import static io.caspian.control.FaultLoopSupport.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.control.bus.StreamKey;
import io.caspian.control.entity.nexus.BusMark;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusEntity;
import io.caspian.control.entity.nexus.NexusEvent;
import io.caspian.control.entity.nexus.NexusSpec;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.service.BusRouter;
import io.caspian.control.service.Entities;
import io.caspian.events.proto.bus.BusEvent;
import io.caspian.events.ChildState;
import io.caspian.events.proto.bus.RebuildFinished;
import io.caspian.events.proto.bus.RebuildOutcome;
import io.caspian.events.proto.bus.RebuildStarted;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import io.caspian.nvmf.host.NvmfDevice;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane and three real DataNodes in one JVM, with a real Kafka broker between them: a fault injected
 * through the REST API faults a child, the io-engine publishes it, the control plane consumes it, records it on the
 * nexus and replaces the replica on a spare pool; with none the volume stays Degraded with the reason shown until a
 * pool appears.
 */
class FaultBusTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MIB = 1L << 20;
    private static final long SIZE = 8 * MIB;

    @TempDir
    static Path dir;
    static KafkaBroker broker;
    static ControlPlane control;

    @BeforeAll
    static void start() {
        broker = FaultLoopSupport.startBroker(dir);
        control = FaultLoopSupport.startControlPlane(dir, broker, "fb", Map.of(
                // The periodic sweep is out of the picture: the bus and the io-engines' reports drive the work.
                "caspian.control.reconcile-interval", "1h"));
    }

    @AfterAll
    static void stop() {
        if (control != null) {
            control.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void injectedFaultReachesTheControlPlaneOverTheBusAndTheReplicaIsReplacedOnceAPoolHasRoom() throws Exception {
        await(() -> call("GET", "/v0/nodes", null, 200).size() == 3, "three io-engines registered");
        call("PUT", "/v0/nodes/fb-1/pools/fb-p1", "{\"disks\":[\"malloc:///fb-p1?size_mb=32\"]}", 200);
        call("PUT", "/v0/nodes/fb-2/pools/fb-p2", "{\"disks\":[\"malloc:///fb-p2?size_mb=32\"]}", 200);
        String id = UUID.randomUUID().toString();
        call("PUT", "/v0/volumes/" + id, "{\"size\":" + SIZE + ",\"replicas\":2}", 200);
        JsonNode published = call("PUT", "/v0/volumes/" + id + "/target?protocol=nvmf&node=fb-1", null, 200);
        String device = published.get("target").get("device_uri").asText();
        String victim = null;
        String keeper = null;
        for (JsonNode r : published.get("replicas")) {
            JsonNode rep = call("GET", "/v0/replicas/" + r.asText(), null, 200);
            if (rep.get("node").asText().equals("fb-2")) {
                victim = r.asText();
            } else {
                keeper = r.asText();
            }
        }
        String fault = "/v0/volumes/" + id + "/children/" + victim + "/fault";

        // Bad requests.
        call("PUT", fault, "{\"op\":\"explode\",\"length\":4096}", 400);
        call("PUT", fault, "{\"op\":\"write\",\"offset\":" + SIZE + ",\"length\":4096}", 400);
        call("PUT", fault, "{\"op\":\"write\",\"length\":4096,\"count\":0}", 400);
        call("PUT", fault, "{\"op\":\"write\"}", 400);
        call("PUT", "/v0/volumes/" + UUID.randomUUID() + "/children/" + victim + "/fault",
                "{\"op\":\"write\",\"length\":4096}", 404);
        call("PUT", "/v0/volumes/" + id + "/children/" + UUID.randomUUID() + "/fault",
                "{\"op\":\"write\",\"length\":4096}", 404);
        call("DELETE", "/v0/volumes/" + id + "/children/" + UUID.randomUUID() + "/fault", null, 404);
        call("DELETE", fault, null, 200);

        long[] sums;
        try (BlockDevice dev = DeviceOpener.standard().with("nvmf", NvmfDevice.factory()).open(device)) {
            JsonNode armed = call("PUT", fault, "{\"op\":\"write\",\"length\":" + SIZE + "}", 200);
            assertEquals(id, armed.get("uuid").asText());
            sums = write(dev, 11);
            verify(dev, sums);
        }

        String victimId = victim;
        await(() -> {
            JsonNode v = call("GET", "/v0/volumes/" + id, null, 200);
            return "Degraded".equals(v.get("status").asText()) && v.get("reason").asText().contains(victimId);
        }, "volume Degraded, the reason naming the faulted replica with no pool to replace it");
        // The io-engine's state report may show the fault before the consumer has applied the bus record.
        Entities entities = new Entities(control.system(), Duration.ofSeconds(10));
        await(() -> control.busStats().orElseThrow().applied() > 0, "the fault came over the bus");
        String victimUri = entities.nexus(id).orElseThrow().children().stream()
                .filter(c -> c.replica().equals(victimId)).findFirst().orElseThrow().uri();
        assertTrue(call("GET", "/v0/volumes/" + id, null, 200).get("replicas").toString().contains(victim),
                "the faulted replica stays until its replacement is rebuilt");

        // A pool appears: the replacement goes there, is rebuilt, and the faulted replica leaves and is destroyed.
        call("PUT", "/v0/nodes/fb-3/pools/fb-p3", "{\"disks\":[\"malloc:///fb-p3?size_mb=32\"]}", 200);
        await(() -> {
            JsonNode v = call("GET", "/v0/volumes/" + id, null, 200);
            return "Online".equals(v.get("status").asText()) && v.get("reason").isNull()
                    && v.get("replicas").size() == 2 && !v.get("replicas").toString().contains(victimId);
        }, "faulted replica replaced on the new pool, rebuilt, volume Online");
        await(() -> control.inventory().replica(victimId).isEmpty(), "faulted replica destroyed on its io-engine");
        JsonNode v = call("GET", "/v0/volumes/" + id, null, 200);
        for (JsonNode r : v.get("replicas")) {
            if (!r.asText().equals(keeper)) {
                assertEquals("fb-3", call("GET", "/v0/replicas/" + r.asText(), null, 200).get("node").asText());
            }
        }
        try (BlockDevice dev = DeviceOpener.standard().with("nvmf", NvmfDevice.factory()).open(device)) {
            verify(dev, sums);
        }

        // The nexus's journal tells the whole story in one vocabulary, whichever channel delivered each part.
        String keeperId = keeper;
        String replacementUri = entities.nexus(id).orElseThrow().children().stream()
                .filter(c -> !c.replica().equals(keeperId)).findFirst().orElseThrow().uri();
        List<String> story = story(id, victimUri, replacementUri);
        assertEquals(6, story.size(), story.toString());
        assertEquals(List.of("ChildFaulted " + victimUri, "ChildAdded " + replacementUri,
                "RebuildStarted " + replacementUri), story.subList(0, 3));
        // The child's state and the rebuild's end travel on two topics, so the rebuild's end may be journaled on
        // either side of the child's; the faulted child leaves only once the new one is in sync. The io-engines'
        // state reports, which may overtake the bus, add nothing here but the fault (ReportedChildren).
        assertEquals(Set.of("RebuildFinished " + replacementUri, "ChildOnline " + replacementUri,
                "ChildRemoved " + victimUri), Set.copyOf(story.subList(3, 6)));
        assertTrue(story.indexOf("ChildOnline " + replacementUri) < story.indexOf("ChildRemoved " + victimUri));

        // A redelivered record (same stream, same seq) is not applied or acted on twice. A nexus of its own, which
        // no volume sweep touches, so that only these records change it.
        String spare = UUID.randomUUID().toString();
        String child = "bdev:///" + UUID.randomUUID();
        entities.nexus(spare, r -> new NexusCommand.Create(new NexusSpec("fb-1", MIB, "v-" + spare,
                List.of(new Child(child, "x", ChildState.DEGRADED, "new replica"))), r));
        AtomicInteger reactions = new AtomicInteger();
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try {
            BusRouter router = new BusRouter(entities, ex, vol -> reactions.incrementAndGet());
            BusEvent started = BusEvent.newBuilder().setSource("fb-1/test").setSeq(1).setNexus(spare).setNode("fb-1")
                    .setTimeMillis(1).setRebuildStarted(RebuildStarted.newBuilder().setChild(child)).build();
            BusEvent done = started.toBuilder().setSeq(2).setRebuildFinished(RebuildFinished.newBuilder()
                    .setChild(child).setOutcome(RebuildOutcome.REBUILD_COMPLETED)).build();
            StreamKey key = StreamKey.of(BusTopics.IO_REBUILD, done);
            for (BusEvent e : List.of(started, done, done, started)) {
                router.apply(key, e).toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            assertEquals(1, reactions.get());
            assertEquals(2L, router.appliedUpTo(key).toCompletableFuture().get(10, TimeUnit.SECONDS));
            NexusState n = entities.nexus(spare, NexusCommand.Get::new);
            assertEquals(Set.of(), n.rebuilding());
            assertEquals(2L, n.mark(BusMark.stream("fb-1", BusTopics.IO_REBUILD)).seq());
        } finally {
            ex.shutdownNow();
        }
    }

    /** The nexus's journaled child and rebuild events about these two children, in order. */
    private static List<String> story(String nexus, String... uris) throws Exception {
        JdbcReadJournal journal = PersistenceQuery.get(Adapter.toClassic(control.system()))
                .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
        List<EventEnvelope> events = journal.currentEventsByPersistenceId(NexusEntity.TYPE_KEY.name() + "|" + nexus,
                0, Long.MAX_VALUE).runWith(Sink.seq(), control.system()).toCompletableFuture().get(30,
                TimeUnit.SECONDS);
        List<String> out = new ArrayList<>();
        for (EventEnvelope e : events) {
            Object ev = e.event();
            String uri = "";
            if (ev instanceof NexusEvent.ChildFaulted x) {
                uri = x.uri();
            } else if (ev instanceof NexusEvent.ChildAdded x) {
                uri = x.child().uri();
            } else if (ev instanceof NexusEvent.RebuildStarted x) {
                uri = x.uri();
            } else if (ev instanceof NexusEvent.RebuildFinished x) {
                uri = x.uri();
            } else if (ev instanceof NexusEvent.ChildOnline x) {
                uri = x.uri();
            } else if (ev instanceof NexusEvent.ChildRemoved x) {
                uri = x.uri();
            }
            if (List.of(uris).contains(uri)) {
                out.add(e.event().getClass().getSimpleName() + " " + uri);
            }
        }
        return out;
    }

    private static JsonNode call(String method, String path, String body, int expected) {
        return FaultLoopSupport.call(control, method, path, body, expected);
    }
}
