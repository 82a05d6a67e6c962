package io.caspian.projections;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.caspian.control.ControlPlane;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The projections as the control plane runs them: GET /v0/events beside the other routes, same error shape. */
class ControlPlaneExtensionTest {
    @TempDir
    Path dataDir;

    @Test
    void theControlPlaneServesEventQueriesUnderV0BehindItsToken() throws Exception {
        try (ControlPlane control = ControlPlane.start(ConfigFactory.parseMap(Map.of(
                "pekko.cluster.roles", List.of("control"),
                "pekko.remote.artery.canonical.hostname", "127.0.0.1",
                "pekko.remote.artery.canonical.port", 0,
                "pekko.loglevel", "WARNING",
                "caspian.data-dir", dataDir.toString(),
                "caspian.control.rest.port", 0)), List.of(Projections.extension()))) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + control.restPort() + "/v0/";
            String token = "Bearer " + Files.readString(control.restAuth().tokenFile().orElseThrow()).strip();
            HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(URI.create(base + "events?limit=5"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, anonymous.statusCode(), "the events reveal the inventory: " + anonymous.body());
            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(base + "events?order=up"))
                    .header("Authorization", token).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, bad.statusCode(), bad.body());
            assertTrue(bad.body().contains("\"kind\":\"INVALID\""), bad.body());
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(base + "events?limit=5"))
                    .header("Authorization", token).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode(), ok.body());
            assertTrue(ok.body().startsWith("{\"events\":["), ok.body());
            HttpResponse<String> spec = http.send(HttpRequest.newBuilder(URI.create(base + "api-spec"))
                    .header("Authorization", token).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(spec.body().contains("/v0/events:"), "the OpenAPI document lists /v0/events");
            HttpResponse<String> missing = http.send(HttpRequest.newBuilder(URI.create(base + "nope"))
                    .header("Authorization", token).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(404, missing.statusCode());
        }
    }
}
