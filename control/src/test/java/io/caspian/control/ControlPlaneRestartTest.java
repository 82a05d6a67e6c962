package io.caspian.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
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
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.Props;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A control plane restarted on the same data directory replays its entities from the H2 journal. Its io-engines
 * come back empty (disks wiped), so pools are re-created from the Pool entities, and the published volume, whose
 * in-sync replicas are all gone, is reported Faulted instead of being re-created over blank replicas.
 */
class ControlPlaneRestartTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dataDir;

    private Config config() {
        return ConfigFactory.parseMap(Map.of(
                "pekko.cluster.roles", List.of("control", "io-engine"),
                "pekko.remote.artery.canonical.hostname", "127.0.0.1",
                "pekko.remote.artery.canonical.port", 0,
                "pekko.loglevel", "WARNING",
                "caspian.data-dir", dataDir.toString(),
                "caspian.control.rest.port", 0,
                "caspian.control.volatile-pools-for-all", true,
                "caspian.control.reconcile-interval", "300ms",
                "caspian.control.io-engine-timeout", "3s"));
    }

    private static void engines(ControlPlane cp) {
        Set<String> destroyed = ConcurrentHashMap.newKeySet();
        for (String n : List.of("node-a", "node-b")) {
            cp.system().systemActorOf(FakeIoEngine.create(n, "127.0.0.1:4420", destroyed), "fake-" + n,
                    Props.empty());
        }
    }

    @Test
    void entitiesReplayAndReconcilersFaceWhatTheyFind() throws Exception {
        String id = UUID.randomUUID().toString();
        try (ControlPlane first = ControlPlane.start(config())) {
            engines(first);
            await(() -> call(first, "GET", "/v0/nodes").size() == 2, "nodes registered");
            for (String n : List.of("a", "b")) {
                call(first, "PUT", "/v0/nodes/node-" + n + "/pools/pool-" + n,
                        "{\"disks\":[\"malloc:///pool-" + n + "?size_mb=16\"]}");
            }
            call(first, "PUT", "/v0/volumes/" + id, "{\"size\":1048576,\"replicas\":2}");
            call(first, "PUT", "/v0/volumes/" + id + "/target?protocol=nvmf", null);
            await(() -> "Online".equals(call(first, "GET", "/v0/volumes/" + id).get("status").asText()), "online");
        }
        try (ControlPlane second = ControlPlane.start(config())) {
            JsonNode volume = call(second, "GET", "/v0/volumes/" + id);
            assertEquals(1048576, volume.get("spec").get("size").asLong());
            assertEquals(2, volume.get("spec").get("replicas").asInt());
            assertEquals("nvmf", volume.get("target").get("protocol").asText());
            assertEquals(2, call(second, "GET", "/v0/nodes").size());
            engines(second);
            await(() -> {
                JsonNode pools = call(second, "GET", "/v0/pools");
                return pools.size() == 2 && pools.get(0).get("capacity").asLong() == 16 << 20
                        && pools.get(1).get("capacity").asLong() == 16 << 20;
            }, "pools re-created on the empty io-engines");
            await(() -> "Faulted".equals(call(second, "GET", "/v0/volumes/" + id).get("status").asText()),
                    "volume faulted: no replica known to be in sync survived");
        }
    }

    private static JsonNode call(ControlPlane cp, String method, String path) {
        return call(cp, method, path, null);
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
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for: " + what);
    }
}
