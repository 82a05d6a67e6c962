package io.caspian.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The io-engine protocol over a real cluster connection: the DataNodes live in another actor system (role
 * io-engine) on 127.0.0.1, so every command, reply, report and actor ref crosses Artery through the protobuf
 * serializers. Killing that system makes its nodes offline through cluster reachability.
 */
class CrossNodeProtocolTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dataDir;

    @Test
    void volumeOnRemoteIoEnginesAndNodeLoss() throws Exception {
        try (ControlPlane control = ControlPlane.start(ConfigFactory.parseMap(Map.of(
                "pekko.cluster.roles", List.of("control"),
                "pekko.remote.artery.canonical.hostname", "127.0.0.1",
                "pekko.remote.artery.canonical.port", 0,
                "pekko.cluster.failure-detector.acceptable-heartbeat-pause", "2s",
                "pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on",
                "caspian.data-dir", dataDir.toString(),
                "caspian.control.rest.port", 0,
                "caspian.control.volatile-pools-for-all", true,
                "caspian.control.reconcile-interval", "500ms",
                "caspian.control.io-engine-timeout", "3s")))) {
            Set<String> destroyed = ConcurrentHashMap.newKeySet();
            ActorSystem<Void> engines = ActorSystem.create(Behaviors.setup(ctx -> {
                for (String n : List.of("remote-a", "remote-b")) {
                    ctx.spawn(FakeIoEngine.create(n, "127.0.0.1:4420", destroyed), n);
                }
                return Behaviors.empty();
            }), control.system().name(), ConfigFactory.parseMap(Map.of(
                    "pekko.actor.provider", "cluster",
                    "pekko.cluster.roles", List.of("io-engine"),
                    "pekko.remote.artery.canonical.hostname", "127.0.0.1",
                    "pekko.remote.artery.canonical.port", 0,
                    "pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on",
                    "pekko.loglevel", "ERROR")).withFallback(ConfigFactory.load()));
            try {
                Cluster.get(engines).manager().tell(Join.create(Cluster.get(control.system()).selfMember().address()));
                await(() -> call(control, "GET", "/v0/nodes", null).size() == 2, "remote nodes registered");
                for (String n : List.of("a", "b")) {
                    call(control, "PUT", "/v0/nodes/remote-" + n + "/pools/rp-" + n,
                            "{\"disks\":[\"malloc:///rp-" + n + "?size_mb=16\"]}");
                }
                String id = UUID.randomUUID().toString();
                JsonNode v = call(control, "PUT", "/v0/volumes/" + id, "{\"size\":1048576,\"replicas\":2}");
                assertEquals(2, v.get("replicas").size());
                JsonNode published = call(control, "PUT", "/v0/volumes/" + id + "/target?protocol=nvmf", null);
                assertTrue(published.get("target").get("device_uri").asText().startsWith("nvmf://"));
                await(() -> "Online".equals(call(control, "GET", "/v0/volumes/" + id, null).get("status").asText()),
                        "volume online");
            } finally {
                engines.terminate();
                engines.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            await(() -> {
                JsonNode nodes = call(control, "GET", "/v0/nodes", null);
                return "Offline".equals(nodes.get(0).get("status").asText())
                        && "Offline".equals(nodes.get(1).get("status").asText());
            }, "nodes offline once their member is gone");
        }
    }

    private static JsonNode call(ControlPlane cp, String method, String path, String body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cp.restPort() + path));
            TestRest.authorization(cp).ifPresent(a -> b.header("Authorization", a));
            HttpRequest req = b
                    .timeout(Duration.ofSeconds(30))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body))
                    .header("Content-Type", "application/json").build();
            HttpResponse<String> r = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new AssertionError(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
            }
            return JSON.readTree(r.body());
        } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for: " + what);
    }
}
