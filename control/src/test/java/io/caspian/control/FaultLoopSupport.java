package io.caspian.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.SyncIo;
import io.caspian.datanode.DataNode;
import io.caspian.datanode.DataNodeSettings;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import io.caspian.kafka.TopicAdmin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32;
import org.apache.pekko.actor.typed.Props;

/** What the fault-loop tests share: checksummed blocks through a device, REST calls, bounded waits. */
final class FaultLoopSupport {
    static final int BLOCK = 4096;
    static final int BLOCKS = 160;
    private static final ObjectMapper JSON = new ObjectMapper();

    private FaultLoopSupport() {
    }

    /** A real broker in {@code dir}/kafka with the io topics made. */
    static KafkaBroker startBroker(Path dir) {
        KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"));
        try (TopicAdmin admin = new TopicAdmin(broker.bootstrapServers())) {
            admin.ensure(BusTopics.all((short) 1), Duration.ofSeconds(30));
        }
        return broker;
    }

    /** A control plane on the broker plus three DataNodes {@code prefix}-1..3 in its actor system. */
    static ControlPlane startControlPlane(Path dir, KafkaBroker broker, String prefix, Map<String, Object> settings) {
        Map<String, Object> config = new HashMap<>(Map.of(
                "pekko.cluster.roles", List.of("control"),
                "pekko.remote.artery.canonical.hostname", "127.0.0.1",
                "pekko.remote.artery.canonical.port", 0,
                "pekko.loglevel", "WARNING",
                "caspian.data-dir", dir.resolve("control").toString(),
                "caspian.control.rest.port", 0,
                "caspian.control.volatile-pools-for-all", true,
                "caspian.control.bus.bootstrap-servers", broker.bootstrapServers()));
        config.putAll(settings);
        ControlPlane control = ControlPlane.start(ConfigFactory.parseMap(config));
        for (int i = 1; i <= 3; i++) {
            String n = prefix + "-" + i;
            DataNodeSettings s = DataNodeSettings.local(n, dir.resolve(n))
                    .withKafka(broker.bootstrapServers(), Duration.ofMillis(500));
            control.system().systemActorOf(DataNode.create(s), n, Props.empty());
        }
        return control;
    }

    static long[] write(BlockDevice dev, long seed) throws Exception {
        Random rnd = new Random(seed);
        ByteBuffer buf = DirectMemory.allocateAligned(BLOCK, Math.max(BLOCK, dev.bufferAlignment()));
        long[] sums = new long[BLOCKS];
        byte[] b = new byte[BLOCK];
        for (int i = 0; i < BLOCKS; i++) {
            rnd.nextBytes(b);
            buf.clear();
            buf.put(b);
            SyncIo.write(dev, (long) i * 8 * BLOCK, buf, 0, BLOCK);
            sums[i] = crc(b);
        }
        SyncIo.flush(dev);
        return sums;
    }

    static void verify(BlockDevice dev, long[] sums) throws Exception {
        ByteBuffer buf = DirectMemory.allocateAligned(BLOCK, Math.max(BLOCK, dev.bufferAlignment()));
        byte[] b = new byte[BLOCK];
        for (int i = 0; i < sums.length; i++) {
            SyncIo.read(dev, (long) i * 8 * BLOCK, buf, 0, BLOCK);
            buf.get(0, b);
            assertEquals(sums[i], crc(b), "block " + i);
        }
    }

    private static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }

    static JsonNode call(ControlPlane control, String method, String path, String body, int expected) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + control.restPort() + path));
            TestRest.authorization(control).ifPresent(a -> b.header("Authorization", a));
            HttpRequest req = b
                    .timeout(Duration.ofSeconds(30))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body))
                    .header("Content-Type", "application/json").build();
            HttpResponse<String> r = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != expected) {
                throw new AssertionError(method + " " + path + " answered " + r.statusCode() + " not " + expected
                        + ": " + r.body());
            }
            return JSON.readTree(r.body());
        } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        }
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for: " + what);
    }
}
