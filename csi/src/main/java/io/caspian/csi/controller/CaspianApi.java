package io.caspian.csi.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The calls of Caspian's REST API (v0) that the controller makes; answers are JSON trees. */
public final class CaspianApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The only form of volume id the API takes. A CSI volume id in any other form (a CO's retry with a stale id, a
     * conformance test's made-up one) names no Caspian volume: it is absent, not a bad request, so CSI answers
     * NOT_FOUND or, for a delete, success, as the spec asks.
     */
    private static final java.util.regex.Pattern VOLUME_ID = java.util.regex.Pattern.compile(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final String base;
    private final HttpClient http;
    private final Duration timeout;
    private final Optional<String> token;

    /** {@code base}: e.g. {@code http://127.0.0.1:8080}; {@code token}: the bearer token sent, if any. */
    public CaspianApi(String base, Duration timeout, Optional<String> token) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.timeout = timeout;
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** An error answer of the API, or no answer at all (status 0). */
    public static final class ApiException extends RuntimeException {
        private final int status;
        private final String kind;

        ApiException(int status, String kind, String message) {
            super(message);
            this.status = status;
            this.kind = kind;
        }

        public int status() {
            return status;
        }

        public String kind() {
            return kind;
        }
    }

    public Optional<JsonNode> volume(String id) {
        if (!VOLUME_ID.matcher(id).matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(call("GET", "/v0/volumes/" + enc(id), null));
        } catch (ApiException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    public JsonNode createVolume(String id, long size, int replicas, boolean thin) {
        ObjectNode body = JSON.createObjectNode().put("size", size).put("replicas", replicas).put("thin", thin);
        return call("PUT", "/v0/volumes/" + enc(id), body.toString());
    }

    /** Deletes; a volume that does not exist is already deleted. */
    public void deleteVolume(String id) {
        if (!VOLUME_ID.matcher(id).matches()) {
            return;
        }
        try {
            call("DELETE", "/v0/volumes/" + enc(id), null);
        } catch (ApiException e) {
            if (e.status() != 404) {
                throw e;
            }
        }
    }

    /**
     * Publishes the volume's nexus; {@code node} (nullable) is where the nexus should run, {@code hostNqn} the only
     * host that should connect to it.
     */
    public JsonNode publish(String id, Protocol protocol, String node, String hostNqn) {
        StringBuilder q = new StringBuilder("?protocol=").append(protocol.wire);
        if (node != null) {
            q.append("&node=").append(enc(node));
        }
        if (hostNqn != null) {
            q.append("&host=").append(enc(hostNqn));
        }
        return call("PUT", "/v0/volumes/" + enc(id) + "/target" + q, null);
    }

    /** Unpublishes; a volume that does not exist is not published. */
    public void unpublish(String id) {
        if (!VOLUME_ID.matcher(id).matches()) {
            return;
        }
        try {
            call("DELETE", "/v0/volumes/" + enc(id) + "/target", null);
        } catch (ApiException e) {
            if (e.status() != 404) {
                throw e;
            }
        }
    }

    public List<JsonNode> volumes() {
        return list("/v0/volumes");
    }

    public List<JsonNode> nodes() {
        return list("/v0/nodes");
    }

    public List<JsonNode> pools() {
        return list("/v0/pools");
    }

    public List<JsonNode> replicas() {
        return list("/v0/replicas");
    }

    /** True when the API answers, and to this plugin's token (a wrong token is a failed probe, not a later surprise). */
    public boolean reachable() {
        try {
            call("GET", "/v0/nodes", null);
            return true;
        } catch (ApiException e) {
            return false;
        }
    }

    private List<JsonNode> list(String path) {
        List<JsonNode> out = new ArrayList<>();
        call("GET", path, null).forEach(out::add);
        return out;
    }

    private JsonNode call(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw new ApiException(0, "TIMEOUT", method + " " + path + ": the REST API at " + base
                    + " did not answer within " + timeout.toSeconds() + " s");
        } catch (ConnectException e) {
            throw new ApiException(0, "UNREACHABLE", "the REST API at " + base + " is unreachable: " + e);
        } catch (IOException e) {
            throw new ApiException(0, "UNREACHABLE", method + " " + path + " at " + base + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(0, "INTERRUPTED", method + " " + path + " interrupted");
        }
        JsonNode json;
        try {
            json = r.body().isBlank() ? JSON.nullNode() : JSON.readTree(r.body());
        } catch (IOException e) {
            throw new ApiException(r.statusCode(), "BAD_ANSWER", method + " " + path + " answered " + r.statusCode()
                    + " with no JSON: " + r.body());
        }
        if (r.statusCode() >= 300) {
            throw new ApiException(r.statusCode(), json.path("kind").asText("HTTP_" + r.statusCode()),
                    json.path("message").asText(r.body()));
        }
        return json;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
