package io.caspian.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.SyncIo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32;

/** What the fault-loop tests share: checksummed blocks through a device, REST calls, bounded waits. */
final class FaultLoopSupport {
    static final int BLOCK = 4096;
    static final int BLOCKS = 160;
    private static final ObjectMapper JSON = new ObjectMapper();

    private FaultLoopSupport() {
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

    static JsonNode call(int restPort, String method, String path, String body, int expected) {
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + restPort + path))
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
