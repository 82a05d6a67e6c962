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
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.service.BusRouter;
import io.caspian.control.service.Entities;
import io.caspian.events.proto.bus.BusEvent;
import io.caspian.events.proto.bus.RebuildFinished;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import io.caspian.nvmf.host.NvmfDevice;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
        await(() -> entities.nexus(id).orElseThrow().busMarks().keySet().stream()
                .anyMatch(k -> k.endsWith("|" + BusTopics.IO_FAULTS)), "the fault came over the bus");
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

        // A redelivered record (same stream, same seq) is not applied or acted on twice.
        AtomicInteger reactions = new AtomicInteger();
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try {
            BusRouter router = new BusRouter(entities, ex, vol -> reactions.incrementAndGet());
            BusEvent done = BusEvent.newBuilder().setSource("fb-test/1").setSeq(1).setNexus(id).setNode("fb-1")
                    .setRebuildFinished(RebuildFinished.newBuilder().setChild("x")).build();
            StreamKey key = StreamKey.of(BusTopics.IO_REBUILD, done);
            router.apply(key, done).toCompletableFuture().get(10, TimeUnit.SECONDS);
            router.apply(key, done).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(1, reactions.get());
            assertEquals(1L, router.appliedUpTo(key).toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertEquals(1L, entities.nexus(id, NexusCommand.Get::new)
                    .busMark(NexusState.stream("fb-test/1", BusTopics.IO_REBUILD)));
        } finally {
            ex.shutdownNow();
        }
    }

    private static JsonNode call(String method, String path, String body, int expected) {
        return FaultLoopSupport.call(control.restPort(), method, path, body, expected);
    }
}
