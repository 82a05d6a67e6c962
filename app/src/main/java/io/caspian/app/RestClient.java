package io.caspian.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The control plane's v0 REST API over {@code java.net.http}; an error answer becomes a {@link RestException}. */
final class RestClient {
    static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http;
    private final Duration timeout;

    RestClient(String base, Duration timeout) {
        try {
            this.base = URI.create(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--api must be a URL like http://127.0.0.1:8080, got '" + base + "'");
        }
        if (this.base.getScheme() == null || this.base.getHost() == null) {
            throw new UsageException("--api must be a URL like http://127.0.0.1:8080, got '" + base + "'");
        }
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        this.timeout = timeout;
    }

    URI base() {
        return base;
    }

    JsonNode get(String path) {
        return call("GET", path, null);
    }

    JsonNode put(String path, Object body) {
        return call("PUT", path, body);
    }

    JsonNode delete(String path) {
        return call("DELETE", path, null);
    }

    /** Sends one request; a 2xx answer's JSON body (or JSON null when there is none) comes back. */
    JsonNode call(String method, String path, Object body) {
        try {
            HttpRequest.BodyPublisher pub = body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
            HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                    .header("Content-Type", "application/json").method(method, pub).build();
            HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
            String text = resp.body();
            if (resp.statusCode() / 100 == 2) {
                return text == null || text.isBlank() ? NullNode.getInstance() : JSON.readTree(text);
            }
            throw RestException.fromResponse(method, path, resp.statusCode(), text);
        } catch (ConnectException e) {
            throw new RestException(0, "UNREACHABLE", "cannot reach the control plane at " + base
                    + " (is `caspian up` or `caspian control` running? --api picks another address)");
        } catch (IOException e) {
            throw new RestException(0, "UNREACHABLE", method + " " + base + path + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RestException(0, "INTERRUPTED", method + " " + path + " interrupted");
        }
    }

    /** An error answer of the API: HTTP status plus the JSON {@code kind} and {@code message}. */
    static final class RestException extends RuntimeException {
        private final int status;
        private final String kind;

        RestException(int status, String kind, String message) {
            super(message);
            this.status = status;
            this.kind = kind;
        }

        static RestException fromResponse(String method, String path, int status, String body) {
            try {
                JsonNode n = JSON.readTree(body);
                if (n != null && n.has("message")) {
                    return new RestException(status, n.path("kind").asText("ERROR"), n.get("message").asText());
                }
            } catch (IOException ignored) {
                // not JSON: fall through and show the raw body
            }
            return new RestException(status, "HTTP_" + status, method + " " + path + ": "
                    + (body == null || body.isBlank() ? "HTTP " + status : body.strip()));
        }

        int status() {
            return status;
        }

        String kind() {
            return kind;
        }

        /** The error as the API's JSON shape, for printing. */
        String json() {
            return JSON.createObjectNode().put("status", status).put("kind", kind).put("message", getMessage())
                    .toString();
        }
    }
}
