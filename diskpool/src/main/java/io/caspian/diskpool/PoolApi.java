package io.caspian.diskpool;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The three pool calls of Caspian's REST API (v0) the operator makes. Every outcome is an {@link Answer}, never an
 * exception, so the reconciler has to say what it does with each one.
 *
 * <p>The create request never carries {@code "overwrite"}: formatting a disk that holds data is for a person to
 * ask for (CLI {@code --overwrite}), not for an operator acting on an object that may be stale or mistyped.
 */
public final class PoolApi {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final String base;
    private final HttpClient http;
    private final Duration timeout;
    private final Optional<String> token;

    /**
     * {@code base}: e.g. {@code http://caspian-api:8080}; {@code token}: the bearer token sent, if any. A token the
     * API refuses is a 401, a {@link Answer.Refused} the DiskPool's status shows until the Secret is fixed.
     */
    public PoolApi(String base, Duration timeout, Optional<String> token) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.timeout = timeout;
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    Answer get(String node, String pool) {
        return call("GET", path(node, pool), null);
    }

    /** Creates the pool, or answers the existing one when it has the same node, disk and labels. */
    Answer create(String node, String pool, String disk, Map<String, String> labels) {
        ObjectNode body = JSON.createObjectNode();
        body.putArray("disks").add(disk);
        ObjectNode l = body.putObject("labels");
        labels.forEach(l::put);
        return call("PUT", path(node, pool), body.toString());
    }

    /** Destroys the pool; the control plane refuses (409) while it holds replicas. */
    Answer delete(String node, String pool) {
        return call("DELETE", path(node, pool), null);
    }

    private static String path(String node, String pool) {
        return "/v0/nodes/" + enc(node) + "/pools/" + enc(pool);
    }

    private Answer call(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout);
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        HttpRequest request = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody()).build()
                : b.method(method, HttpRequest.BodyPublishers.ofString(body))
                        .header("Content-Type", "application/json").build();
        HttpResponse<String> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return new Answer.Unavailable(method + " " + path + ": the REST API at " + base + " did not answer: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer.Unavailable(method + " " + path + " interrupted");
        }
        int status = r.statusCode();
        JsonNode json;
        try {
            json = r.body().isBlank() ? JSON.nullNode() : JSON.readTree(r.body());
        } catch (IOException e) {
            return new Answer.Unavailable(method + " " + path + " answered " + status + " with no JSON: " + r.body());
        }
        if (status == 204) {
            return new Answer.Deleted();
        }
        if (status >= 200 && status < 300) {
            try {
                return new Answer.Pool(JSON.treeToValue(json, PoolView.class));
            } catch (IOException e) {
                return new Answer.Unavailable(method + " " + path + " answered an unexpected pool: " + json);
            }
        }
        String message = json.path("message").asText(r.body());
        if (status == 404) {
            return new Answer.NotFound(message);
        }
        if (status >= 400 && status < 500) {
            return new Answer.Refused(status, json.path("kind").asText("HTTP_" + status), message);
        }
        return new Answer.Unavailable(method + " " + path + " answered " + status + ": " + message);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
