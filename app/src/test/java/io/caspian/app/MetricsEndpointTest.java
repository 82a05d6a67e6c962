package io.caspian.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import io.caspian.datanode.metrics.LivePool;
import io.caspian.datanode.metrics.NodeObjects;
import io.caspian.events.Health;
import io.caspian.pool.Pool;
import io.caspian.pool.Replica;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The endpoint serves what the registry holds, in the format the scraper asks for, until closed. */
class MetricsEndpointTest {

    private static final int CLUSTER = 64 << 10;
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aScrapeShowsThePoolGaugesWithThePoolsFigures() throws Exception {
        Pool pool = Pool.create(new MallocDevice("malloc:///scraped", 16 << 20, 4096), "p1", UUID.randomUUID(),
                CLUSTER, false);
        try (MetricsEndpoint m = MetricsEndpoint.start("127.0.0.1", 0, false)) {
            Replica thin = pool.createReplica(UUID.randomUUID(), "thin", 8L * CLUSTER, true);
            SyncIo.write(thin, 0, DirectMemory.allocate(3 * CLUSTER), 0, 3 * CLUSTER);
            NodeObjects node = new NodeObjects("node-1", null, null, null);
            LivePool live = new LivePool("p1");
            live.set(pool, Health.ONLINE);
            node.poolOpened(live);
            m.ioEngines().add(node);

            HttpResponse<String> text = get(m, "text/plain");
            assertEquals(200, text.statusCode());
            String body = text.body();
            assertEquals(3.0 * CLUSTER, value(body, "diskpool_used_size_bytes"), body);
            assertEquals((double) pool.stats().capacity(), value(body, "diskpool_total_size_bytes"));
            assertEquals(8.0 * CLUSTER, value(body, "diskpool_committed_size_bytes"));
            assertEquals(1.0, value(body, "diskpool_status"));
            assertTrue(body.contains("# TYPE diskpool_status gauge"), body);
            assertTrue(body.contains("jvm_memory_used_bytes"), "the JVM's own metrics are served too");

            HttpResponse<String> om = get(m, "application/openmetrics-text; version=1.0.0; charset=utf-8");
            assertTrue(om.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"),
                    om.headers().toString());
            assertTrue(om.body().strip().endsWith("# EOF"), "OpenMetrics ends with # EOF");
            assertEquals(3.0 * CLUSTER, value(om.body(), "diskpool_used_size_bytes"));

            m.close();
            assertThrows(IOException.class, () -> get(m, "text/plain"), "closed with its role");
        } finally {
            pool.export();
        }
    }

    @Test
    void aPortInUseFailsARoleButUpTakesAFreeOne() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThrows(UsageException.class, () -> MetricsEndpoint.start("127.0.0.1", port, false));
            try (MetricsEndpoint m = MetricsEndpoint.start("127.0.0.1", port, true)) {
                assertNotEquals(port, m.port());
                assertEquals(200, get(m, "text/plain").statusCode());
            }
        }
    }

    private HttpResponse<String> get(MetricsEndpoint m, String accept) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(m.url())).header("Accept", accept).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The value on the one sample line of {@code name} labelled node-1, p1. */
    static double value(String body, String name) {
        return body.lines().filter(l -> l.startsWith(name + "{") && l.contains("name=\"p1\"")
                        && l.contains("node=\"node-1\""))
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no " + name + " in\n" + body));
    }
}
