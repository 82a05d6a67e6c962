package io.caspian.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.csi.v1.GetPluginInfoRequest;
import io.caspian.csi.v1.IdentityGrpc;
import io.caspian.csi.v1.NodeGetVolumeStatsRequest;
import io.caspian.csi.v1.NodeGrpc;
import io.caspian.csi.v1.ProbeRequest;
import io.caspian.csi.v1.ProbeResponse;
import io.caspian.metrics.MetricsServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plugin started with {@code --metrics-port} counts and times every gRPC call where a scrape finds it. */
class CallMetricsTest {
    private static final String INFO = "csi.v1.Identity/GetPluginInfo";
    private static final String PROBE = "csi.v1.Identity/Probe";
    private static final String STATS = "csi.v1.Node/NodeGetVolumeStats";

    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aScrapeCountsTheNodePluginsCallsByMethodAndCodeAndTimesThem() throws Exception {
        int port = Ports.free();
        try (CsiMain.Running node = CsiMain.start("csi-node", List.of("--endpoint", "tcp://127.0.0.1:0",
                "--node-id", "node-1", "--state-dir", dir.toString(), "--metrics-port", Integer.toString(port)))) {
            assertEquals(port, node.metrics().port());
            ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", node.server().port()).usePlaintext()
                    .build();
            try {
                IdentityGrpc.IdentityBlockingStub identity = IdentityGrpc.newBlockingStub(ch);
                identity.getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
                identity.getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
                identity.probe(ProbeRequest.getDefaultInstance());
                StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> NodeGrpc
                        .newBlockingStub(ch).nodeGetVolumeStats(NodeGetVolumeStatsRequest.getDefaultInstance()));
                assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
            } finally {
                ch.shutdownNow();
            }

            HttpResponse<String> text = scrape(node.metrics(), "text/plain");
            assertEquals(200, text.statusCode());
            String body = text.body();
            assertEquals(2.0, value(body, "caspian_csi_requests_total", INFO, "OK"), body);
            assertEquals(1.0, value(body, "caspian_csi_requests_total", PROBE, "OK"), body);
            assertEquals(1.0, value(body, "caspian_csi_requests_total", STATS, "INVALID_ARGUMENT"), body);
            assertEquals(2.0, value(body, "caspian_csi_request_duration_seconds_count", INFO, null), body);
            assertEquals(1.0, value(body, "caspian_csi_request_duration_seconds_count", STATS, null), body);
            assertTrue(body.contains("# TYPE caspian_csi_request_duration_seconds histogram"), body);
            assertTrue(body.contains("caspian_csi_request_duration_seconds_bucket{method=\"" + INFO
                    + "\",le=\"+Inf\"} 2"), body);
            assertTrue(body.contains("jvm_memory_used_bytes"), "the JVM's own metrics are served too");

            HttpResponse<String> om = scrape(node.metrics(), "application/openmetrics-text; version=1.0.0");
            assertTrue(om.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"),
                    om.headers().toString());
            assertTrue(om.body().strip().endsWith("# EOF"), "OpenMetrics ends with # EOF");
            assertEquals(2.0, value(om.body(), "caspian_csi_requests_total", INFO, "OK"), om.body());
        }
    }

    @Test
    void aCallTheCallerGivesUpOnIsCountedCancelledOnceThoughItsAnswerComesLater() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        CountDownLatch asked = new CountDownLatch(1);
        IdentityService slow = new IdentityService(false, () -> {
            asked.countDown();
            try {
                answer.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return true;
        });
        try (MetricsServer metrics = MetricsServer.start("127.0.0.1", 0)) {
            CsiServer server = CsiServer.start(Endpoint.parse("tcp://127.0.0.1:0"), List.of(slow),
                    metrics.registry());
            ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                Future<ProbeResponse> probe = IdentityGrpc.newFutureStub(ch).probe(ProbeRequest.getDefaultInstance());
                assertTrue(asked.await(10, TimeUnit.SECONDS));
                probe.cancel(true);
                String cancelled = awaitSample(metrics, PROBE, "CANCELLED");
                answer.countDown();
                // The handler's answer, after the cancel, is not counted a second time.
                Thread.sleep(200);
                String body = scrape(metrics, "text/plain").body();
                assertEquals(1.0, value(body, "caspian_csi_requests_total", PROBE, "CANCELLED"), cancelled);
                assertNull(sample(body, "caspian_csi_requests_total", PROBE, "OK"), body);
                assertEquals(1.0, value(body, "caspian_csi_request_duration_seconds_count", PROBE, null), body);
            } finally {
                answer.countDown();
                ch.shutdownNow();
                server.close();
            }
        }
    }

    /** The scrape once it holds the sample of {@code method} and {@code code} (a cancel reaches the server late). */
    private String awaitSample(MetricsServer metrics, String method, String code) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            String body = scrape(metrics, "text/plain").body();
            if (sample(body, "caspian_csi_requests_total", method, code) != null || System.nanoTime() > deadline) {
                return body;
            }
            Thread.sleep(20);
        }
    }

    private HttpResponse<String> scrape(MetricsServer m, String accept) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(m.url())).header("Accept", accept).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static double value(String body, String name, String method, String code) {
        Double v = sample(body, name, method, code);
        if (v == null) {
            throw new AssertionError("no " + name + " of " + method + " " + code + " in\n" + body);
        }
        return v;
    }

    /** The value on the sample line of {@code name} for {@code method} (and {@code code}, unless null). */
    private static Double sample(String body, String name, String method, String code) {
        return body.lines().filter(l -> l.startsWith(name + "{") && l.contains("method=\"" + method + "\"")
                        && (code == null || l.contains("code=\"" + code + "\"")))
                .map(l -> l.split(" "))
                // OpenMetrics may add a timestamp after the value; the text format's value is last.
                .map(f -> Double.parseDouble(f[1]))
                .findFirst().orElse(null);
    }
}
