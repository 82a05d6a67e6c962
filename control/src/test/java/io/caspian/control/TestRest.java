package io.caspian.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caspian.control.rest.auth.TokenFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Calls one control plane's REST API on 127.0.0.1 the way a client does, with its token (from the token file it
 * uses), for tests; and waits with a bound.
 */
final class TestRest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One answer: {@code body} is the parsed JSON (an empty object when the answer is empty or not JSON),
     * {@code text} what came on the wire.
     */
    record Res(int status, JsonNode body, String contentType, String text) {
    }

    private final ControlPlane control;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    TestRest(ControlPlane control) {
        this.control = control;
    }

    /** The Authorization header a client of {@code control} sends; empty when it asks for none. */
    static Optional<String> authorization(ControlPlane control) {
        return control.restAuth().tokenFile().map(f -> "Bearer " + TokenFile.read(f).get(0));
    }

    Res get(String path) {
        return call("GET", path, null);
    }

    Res put(String path, String body) {
        return call("PUT", path, body);
    }

    Res delete(String path) {
        return call("DELETE", path, null);
    }

    /** {@code path} is sent as given (it may hold what URI would refuse, so it is not parsed as a URI here). */
    Res call(String method, String path, String body) {
        return call(method, path, body, authorization(control));
    }

    /** As {@link #call(String, String, String)} with this Authorization header, or none. */
    Res call(String method, String path, String body, Optional<String> authorization) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + control.restPort() + path))
                    .timeout(Duration.ofSeconds(30))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body));
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            authorization.ifPresent(a -> b.header("Authorization", a));
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            String type = r.headers().firstValue("Content-Type").orElse("");
            JsonNode json = type.startsWith("application/json") && !r.body().isEmpty() ? JSON.readTree(r.body())
                    : JSON.createObjectNode();
            return new Res(r.statusCode(), json, type, r.body());
        } catch (Exception e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        }
    }

    /** Polls {@code condition} every 100 ms for up to 30 s: generous, as the machine may be shared and slow. */
    static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("timed out waiting for: " + what);
    }
}
