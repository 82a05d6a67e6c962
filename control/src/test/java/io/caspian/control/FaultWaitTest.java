package io.caspian.control;

import static io.caspian.control.FaultLoopSupport.await;
import static io.caspian.control.FaultLoopSupport.verify;
import static io.caspian.control.FaultLoopSupport.write;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.events.proto.bus.BusEvent;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import io.caspian.nvmf.host.NvmfDevice;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A faulted child whose replica is still reachable is brought back within the wait period (a partial rebuild of what
 * it missed) instead of replaced; one that keeps failing is replaced once the period is over.
 */
class FaultWaitTest {
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
        control = FaultLoopSupport.startControlPlane(dir, broker, "fw", Map.of(
                "caspian.control.reconcile-interval", "500ms",
                "caspian.control.faulted-child-wait", "6s"));
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
    void aChildBackWithinTheWaitIsPartiallyRebuiltAndOneThatKeepsFailingIsReplacedAfterIt() throws Exception {
        await(() -> call("GET", "/v0/nodes", null, 200).size() == 3, "three io-engines registered");
        call("PUT", "/v0/nodes/fw-1/pools/fw-p1", "{\"disks\":[\"malloc:///fw-p1?size_mb=32\"]}", 200);
        call("PUT", "/v0/nodes/fw-2/pools/fw-p2", "{\"disks\":[\"malloc:///fw-p2?size_mb=32\"]}", 200);
        String id = UUID.randomUUID().toString();
        call("PUT", "/v0/volumes/" + id, "{\"size\":" + SIZE + ",\"replicas\":2}", 200);
        JsonNode published = call("PUT", "/v0/volumes/" + id + "/target?protocol=nvmf&node=fw-1", null, 200);
        String device = published.get("target").get("device_uri").asText();
        String victim = null;
        String victimUri = null;
        for (JsonNode c : call("GET", "/v0/nexuses/" + id, null, 200).get("children")) {
            if (c.get("uri").asText().startsWith("nvmf://")) {
                victim = c.get("replica").asText();
                victimUri = c.get("uri").asText();
            }
        }
        String fault = "/v0/volumes/" + id + "/children/" + victim + "/fault";
        String replicas = published.get("replicas").toString();

        // One failed write faults the child; the replica is still there, so it comes back with a partial rebuild.
        long[] sums;
        try (BlockDevice dev = DeviceOpener.standard().with("nvmf", NvmfDevice.factory()).open(device)) {
            call("PUT", fault, "{\"op\":\"write\",\"length\":" + SIZE + ",\"count\":1}", 200);
            sums = write(dev, 5);
            String uri = victimUri;
            await(() -> partialRebuildOf(uri), "a partial rebuild of the faulted child on the bus");
            await(() -> {
                JsonNode v = call("GET", "/v0/volumes/" + id, null, 200);
                return "Online".equals(v.get("status").asText()) && v.get("reason").isNull();
            }, "volume Online again");
            assertEquals(replicas, call("GET", "/v0/volumes/" + id, null, 200).get("replicas").toString(),
                    "the same replicas: nothing was replaced");
            verify(dev, sums);
        }

        // A child that keeps failing faults again on each attempt; after the wait it is replaced on fw-3.
        call("PUT", "/v0/nodes/fw-3/pools/fw-p3", "{\"disks\":[\"malloc:///fw-p3?size_mb=32\"]}", 200);
        try (BlockDevice dev = DeviceOpener.standard().with("nvmf", NvmfDevice.factory()).open(device)) {
            call("PUT", fault, "{\"op\":\"write\",\"length\":" + SIZE + "}", 200);
            sums = write(dev, 6);
            String victimId = victim;
            await(() -> call("GET", "/v0/volumes/" + id, null, 200).path("reason").asText().contains("waiting"),
                    "the reason says the control plane waits for the faulted child");
            await(() -> {
                JsonNode v = call("GET", "/v0/volumes/" + id, null, 200);
                return "Online".equals(v.get("status").asText()) && v.get("replicas").size() == 2
                        && !v.get("replicas").toString().contains(victimId);
            }, "the failing replica replaced after the wait");
            verify(dev, sums);
        }
    }

    /** Whether the io-engine published a partial rebuild of {@code child}. */
    private static boolean partialRebuildOf(String child) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> tps = consumer.partitionsFor(BusTopics.IO_REBUILD).stream()
                    .map(pi -> new TopicPartition(pi.topic(), pi.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            for (int i = 0; i < 5; i++) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    BusEvent e = BusEvent.parseFrom(r.value());
                    if (e.hasRebuildStarted() && e.getRebuildStarted().getChild().equals(child)
                            && e.getRebuildStarted().getPartial()) {
                        return true;
                    }
                }
            }
            return false;
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode call(String method, String path, String body, int expected) {
        return FaultLoopSupport.call(control, method, path, body, expected);
    }
}
