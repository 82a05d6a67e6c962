package io.caspian.diskpool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.caspian.control.ControlPlane;
import io.caspian.datanode.DataNode;
import io.caspian.datanode.DataNodeSettings;
import io.caspian.datanode.DiskAllowList;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.typed.Props;

/**
 * The operator's counterpart in tests: a real control plane (H2 journal, REST on an ephemeral loopback port) and
 * one real io-engine, {@code node-1}, in this JVM. It creates no pool; the operator under test does.
 */
final class OneNodeCaspian implements AutoCloseable {
    static final String NODE = "node-1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ControlPlane control;
    private final HttpClient http = HttpClient.newHttpClient();
    final String api;

    /** The token the control plane made for its data directory; what the operator's Secret would hold. */
    String token() {
        try {
            return java.nio.file.Files.readString(control.restAuth().tokenFile().orElseThrow()).strip();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private OneNodeCaspian(ControlPlane control) {
        this.control = control;
        this.api = "http://127.0.0.1:" + control.restPort();
    }

    static OneNodeCaspian start(Path dir) throws InterruptedException {
        ControlPlane control = ControlPlane.start(ConfigFactory.parseString("""
                pekko.cluster.roles = [control]
                pekko.remote.artery.canonical { hostname = 127.0.0.1, port = 0 }
                pekko.loglevel = WARNING
                caspian.control.rest { host = 127.0.0.1, port = 0 }
                """).withFallback(ConfigFactory.parseMap(Map.of("caspian.data-dir",
                        dir.resolve("control").toString()))));
        OneNodeCaspian c = new OneNodeCaspian(control);
        try {
            // The tests' disks live beside the node's data directory, in the test's directory.
            control.system().systemActorOf(DataNode.create(DataNodeSettings.local(NODE, dir.resolve(NODE))
                    .withDiskAllow(DiskAllowList.defaults(dir))), NODE, Props.empty());
            Waits.until("io-engine " + NODE + " Online", Duration.ofSeconds(30), () -> c.call("GET", "/v0/nodes/"
                    + NODE, null), r -> r.status() == 200 && "Online".equals(r.json().path("status").asText()));
            return c;
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
    }

    /** A REST answer: status and JSON body. */
    record Reply(int status, JsonNode json) {
    }

    Reply call(String method, String path, String body) {
        // A JSON content type on every request: the API ignores it where there is no body.
        HttpRequest request = HttpRequest.newBuilder(URI.create(api + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token())
                .method(method, HttpRequest.BodyPublishers.ofString(body == null ? "" : body)).build();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body().isBlank() ? JSON.nullNode() : JSON.readTree(r.body()));
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    Reply pool(String name) {
        return call("GET", "/v0/nodes/" + NODE + "/pools/" + name, null);
    }

    @Override
    public void close() {
        control.close();
    }
}
