package io.caspian.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The control plane's REST API as the tests use it, as a user would: with the token the control plane made in its
 * data directory; JSON in and out, non-2xx is an exception with the body.
 */
final class Api {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> LISTS = List.of("nodes", "pools", "replicas", "nexuses", "volumes");

    private final String base;
    private final Path tokenFile;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    /** {@code controlDataDir}: the control JVM's {@code --data-dir}, where it makes {@code rest-token}. */
    Api(int port, Path controlDataDir) {
        this.base = "http://127.0.0.1:" + port;
        this.tokenFile = controlDataDir.resolve("rest-token");
    }

    JsonNode get(String path) throws IOException {
        return call("GET", path, null);
    }

    JsonNode put(String path, String body) throws IOException {
        return call("PUT", path, body);
    }

    JsonNode call(String method, String path, String body) throws IOException {
        // Read at each call: the control JVM makes the file once it starts, maybe after this object was made.
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + Files.readString(tokenFile).strip())
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 != 2) {
                throw new IOException(method + " " + path + ": HTTP " + r.statusCode() + " " + r.body());
            }
            return r.body().isBlank() ? JSON.nullNode() : JSON.readTree(r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Every list of the API, each sorted by id, as one JSON object: what "the REST view" means in the tests. */
    ObjectNode view() throws IOException {
        ObjectNode v = JSON.createObjectNode();
        for (String list : LISTS) {
            List<JsonNode> items = new ArrayList<>();
            get("/v0/" + list).forEach(items::add);
            items.sort(Comparator.comparing(n -> n.has("uuid") ? n.get("uuid").asText() : n.path("id").asText()));
            ArrayNode a = v.putArray(list);
            items.forEach(a::add);
        }
        return v;
    }
}
