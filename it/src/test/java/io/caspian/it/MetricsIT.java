package io.caspian.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Metrics as a user graphs them: Debian's real Prometheus scrapes {@code caspian up} (two io-engines in one JVM,
 * one /metrics) every second while fio writes to a published volume over NBD; Prometheus's HTTP API must then show
 * the volume's write rate, each pool's used bytes exactly as the REST API reports them, and the control plane's
 * REST metrics; both replicas' write counts, fio's NBD connection coming and going and the nexus's NVMe/TCP
 * connection to its remote replica; and every metric the Grafana dashboard (deploy/grafana/caspian.json) queries
 * must be there.
 */
class MetricsIT {
    private static final Duration BOUND = Duration.ofSeconds(60);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private RoleProcess up;
    private Process prometheus;
    private Path work;

    @AfterEach
    void stop() throws Exception {
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(15, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        }
        if (up != null) {
            up.close();
        }
    }

    @Test
    void prometheusGraphsVolumesPoolsAndTheControlPlane() throws Exception {
        Path binary = prometheusBinary();
        work = Files.createDirectories(Path.of(System.getProperty("caspian.it.work", "target/it-work"))
                .resolve("metrics-" + System.currentTimeMillis()));
        int rest = Ports.free();
        int metrics = Ports.free();
        int nbd = Ports.freePair();
        int nvmf = Ports.freePair();
        up = RoleProcess.start("up", work, List.of("up", "--data-dir", work.resolve("up").toString(),
                "--rest", "127.0.0.1:" + rest, "--port", String.valueOf(Ports.free()), "--io-engines", "2",
                "--pool-size-mb", "128", "--nbd-port", String.valueOf(nbd), "--nvmf-port", String.valueOf(nvmf),
                "--metrics-port", String.valueOf(metrics), "--kafka", "off"));
        Api api = new Api(rest, work.resolve("up"));
        Waits.await("caspian up with 2 online pools", BOUND, work, () -> {
            int online = 0;
            for (JsonNode p : api.get("/v0/pools")) {
                online += "Online".equals(p.path("status").asText()) ? 1 : 0;
            }
            return online == 2;
        });

        int promPort = Ports.free();
        Path config = work.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: caspian
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(metrics));
        prometheus = new ProcessBuilder(binary.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + work.resolve("prometheus-data"),
                "--web.listen-address=127.0.0.1:" + promPort)
                .redirectErrorStream(true).redirectOutput(work.resolve("prometheus.log").toFile()).start();
        String prom = "http://127.0.0.1:" + promPort;

        String volume = UUID.randomUUID().toString();
        api.put("/v0/volumes/" + volume, "{\"size\":" + (32L << 20) + ",\"replicas\":2,\"thin\":true}");
        String device = api.put("/v0/volumes/" + volume + "/target?protocol=nbd", null)
                .path("target").path("device_uri").asText();
        Fio.Running fio = new Fio(work.resolve("fio.log")).startWriteAndVerify(device, 0, 24, 2);

        String writeRate = "rate(volume_num_write_ops{pv_name=\"" + volume + "\"}[30s]) > 0";
        Waits.await(writeRate + " in Prometheus", BOUND, work, () -> !query(prom, writeRate).isEmpty());
        // fio (2 MB/s for 24 MB) is connected over NBD for seconds: scrapes a second apart see it
        String nbdConnected = "max_over_time(caspian_nbd_connections[10m]) > 0";
        Waits.await("fio's NBD connection in Prometheus", BOUND, work, () -> query(prom, nbdConnected).size() == 1);
        fio.await();
        Waits.await("the NBD connection gone in Prometheus once fio ended", BOUND, work,
                () -> !query(prom, "sum(caspian_nbd_connections) == 0").isEmpty());
        // The volume's two replicas are on two nodes: the nexus writes one as its local child, the other through
        // that replica's NVMe/TCP target, which the nexus stays connected to.
        Waits.await("both replicas' writes in Prometheus", BOUND, work,
                () -> query(prom, "replica_num_write_ops > 0").size() == 2);
        JsonNode nvmfConnections = query(prom, "caspian_nvmf_connections > 0");
        assertEquals(1, nvmfConnections.size(), "the nexus's connection to its remote replica: " + nvmfConnections);

        // The pools are thin-provisioned: their used bytes are what fio's writes allocated.
        Waits.await("diskpool_used_size_bytes in Prometheus equal to the REST API's pools", BOUND, work, () -> {
            for (JsonNode p : api.get("/v0/pools")) {
                JsonNode r = query(prom, "diskpool_used_size_bytes{name=\"" + p.path("id").asText() + "\",node=\""
                        + p.path("node").asText() + "\"}");
                if (r.size() != 1 || p.path("used").asLong() == 0
                        || Double.parseDouble(r.get(0).path("value").get(1).asText()) != p.path("used").asLong()) {
                    return false;
                }
            }
            return true;
        });
        JsonNode status = query(prom, "diskpool_status");
        assertEquals(2, status.size(), status.toString());
        status.forEach(s -> assertEquals("1", s.path("value").get(1).asText(), "Online is 1, as in Mayastor"));
        JsonNode rest200 = query(prom, "caspian_rest_request_duration_seconds_count{route=\"/v0/pools\",status=\"200\"}");
        assertTrue(rest200.size() == 1 && rest200.get(0).path("value").get(1).asDouble() > 0, rest200.toString());
        JsonNode pools = query(prom, "caspian_observed_objects{type=\"pool\",state=\"Online\"}");
        assertEquals("2", pools.get(0).path("value").get(1).asText(), pools.toString());
        assertTrue(query(prom, "jvm_memory_used_bytes").size() > 0, "the JVM's metrics are scraped too");
        // Creating the volume's replicas and nexus made the reconciler look at it; a pass is timed when it ends.
        Waits.await("a timed reconcile pass in Prometheus", BOUND, work,
                () -> !query(prom, "caspian_reconcile_pass_duration_seconds_count > 0").isEmpty());
        JsonNode errors = query(prom, "nexus_child_errors{pv_name=\"" + volume + "\",op=\"write\"}");
        assertEquals(2, errors.size(), "one series per child: " + errors);
        errors.forEach(e -> assertEquals("0", e.path("value").get(1).asText(), "fio's writes all succeeded"));

        Set<String> names = dashboardMetrics(Path.of(System.getProperty("user.dir")).resolveSibling("deploy")
                .resolve("grafana").resolve("caspian.json"));
        assertTrue(names.contains("volume_num_write_ops") && names.contains("diskpool_used_size_bytes"), names::toString);
        for (String name : names) {
            assertTrue(query(prom, name).size() > 0, "the dashboard queries " + name + ", which Prometheus has not got");
        }
    }

    /** Every metric name the dashboard's panels query (functions, keywords, labels and ranges taken out). */
    static Set<String> dashboardMetrics(Path dashboard) throws IOException {
        Set<String> names = new TreeSet<>();
        Pattern ident = Pattern.compile("(?<![\\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*+(?!\\s*\\()");
        for (JsonNode expr : Api.JSON.readTree(dashboard.toFile()).findValues("expr")) {
            String e = expr.asText().replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^\\]]*\\]", " ")
                    .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
            Matcher m = ident.matcher(e);
            while (m.find()) {
                if (!Set.of("and", "or", "unless", "bool", "offset").contains(m.group())) {
                    names.add(m.group());
                }
            }
        }
        return names;
    }

    /** The result vector of an instant query; an error or an unready Prometheus is "not yet" (IOException). */
    private JsonNode query(String prom, String q) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(prom + "/api/v1/query?query="
                + URLEncoder.encode(q, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("Prometheus answered " + r.statusCode() + " to " + q + ": " + r.body());
        }
        return Api.JSON.readTree(r.body()).path("data").path("result");
    }

    /**
     * Debian's prometheus (.ci/run installs it). Absent on a developer's machine the test is skipped; under CI it
     * must be there, so its absence fails.
     */
    private static Path prometheusBinary() {
        Optional<Path> found = java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "/usr/bin")
                        .split(File.pathSeparator)).map(d -> Path.of(d, "prometheus")).filter(Files::isExecutable)
                .findFirst();
        if (found.isEmpty()) {
            if ("true".equals(System.getenv("CI"))) {
                fail("no prometheus binary on PATH: .ci/run installs Debian's prometheus package");
            }
            assumeTrue(false, "no prometheus binary on PATH (apt-get install prometheus)");
        }
        return found.get();
    }
}
