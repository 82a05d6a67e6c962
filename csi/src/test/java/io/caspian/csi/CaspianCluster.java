package io.caspian.csi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.caspian.control.ControlPlane;
import io.caspian.datanode.DataNode;
import io.caspian.datanode.DataNodeSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;

/**
 * A real Caspian for the driver's tests: the control plane (H2 journal, REST on a free port) and three io-engines
 * {@code node-1..3} in this JVM, each with a sparse file pool, NVMe/TCP and NBD on the given loopback ports.
 */
public final class CaspianCluster implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    final ControlPlane control;
    final String api;
    final List<Integer> nvmfPorts = new ArrayList<>();
    final List<Integer> nbdPorts = new ArrayList<>();
    private final Map<String, ActorRef<?>> engines = new java.util.concurrent.ConcurrentHashMap<>();

    private CaspianCluster(ControlPlane control) {
        this.control = control;
        this.api = "http://127.0.0.1:" + control.restPort();
    }

    public static CaspianCluster start(Path dir, int poolMb) throws InterruptedException {
        return start(dir, poolMb, Map.of());
    }

    /** {@code config}: more settings of the control plane's actor system, e.g. caspian.control.node-timeout. */
    public static CaspianCluster start(Path dir, int poolMb, Map<String, Object> config) throws InterruptedException {
        Map<String, Object> settings = new java.util.HashMap<>(Map.of(
                "pekko.cluster.roles", List.of("control"),
                "pekko.remote.artery.canonical.hostname", "127.0.0.1",
                "pekko.remote.artery.canonical.port", 0,
                "pekko.loglevel", "WARNING",
                "caspian.data-dir", dir.resolve("control").toString(),
                "caspian.control.rest.host", "127.0.0.1",
                "caspian.control.rest.port", 0));
        settings.putAll(config);
        ControlPlane control = ControlPlane.start(ConfigFactory.parseMap(settings));
        CaspianCluster c = new CaspianCluster(control);
        try {
            for (int i = 1; i <= 3; i++) {
                String n = "node-" + i;
                int nvmf = Ports.free();
                int nbd = Ports.free();
                c.nvmfPorts.add(nvmf);
                c.nbdPorts.add(nbd);
                DataNodeSettings s = DataNodeSettings.local(n, dir.resolve(n)).withNvmf("127.0.0.1", nvmf)
                        .withNbd("127.0.0.1", nbd);
                c.engines.put(n, control.system().systemActorOf(DataNode.create(s), n, Props.empty()));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (online(c) < 3) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the io-engines did not register within 60 s: " + c.get("/v0/nodes"));
                }
                Thread.sleep(200);
            }
            for (int i = 1; i <= 3; i++) {
                String disk = "file://" + dir.resolve("node-" + i).resolve("pool.img").toAbsolutePath() + "?size_mb="
                        + poolMb;
                String path = "/v0/nodes/node-" + i + "/pools/pool-" + i;
                String body = "{\"disks\":[\"" + disk + "\"]}";
                // Idempotent, so retried: on a loaded machine the io-engine's answer can miss the ask timeout (503).
                long poolDeadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (true) {
                    try {
                        c.call("PUT", path, body);
                        break;
                    } catch (AssertionError e) {
                        if (!e.getMessage().contains(" 503:") || System.nanoTime() > poolDeadline) {
                            throw e;
                        }
                        Thread.sleep(1000);
                    }
                }
            }
            return c;
        } catch (RuntimeException | InterruptedException | Error e) {
            c.close();
            throw e;
        }
    }

    private static int online(CaspianCluster c) {
        int n = 0;
        for (JsonNode node : c.get("/v0/nodes")) {
            if ("Online".equals(node.path("status").asText())) {
                n++;
            }
        }
        return n;
    }

    /** The REST API's port on 127.0.0.1. */
    public int restPort() {
        return control.restPort();
    }

    /**
     * Stops io-engine {@code node} abruptly: its DataNode actor stops (its NVMe/TCP listener and connections close,
     * as when the process dies), the control plane sees it stop and marks the node Offline at once. Returns when
     * the REST API no longer shows it Online.
     */
    public void stopEngine(String node) throws InterruptedException {
        ActorRef<?> ref = engines.remove(node);
        if (ref == null) {
            throw new IllegalArgumentException("no running io-engine " + node);
        }
        org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(control.system())
                .stop(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(ref));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            boolean online = false;
            for (JsonNode n : get("/v0/nodes")) {
                if (node.equals(n.path("id").asText()) && "Online".equals(n.path("status").asText())) {
                    online = true;
                }
            }
            if (!online) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(node + " still Online 30 s after its DataNode was stopped");
            }
            Thread.sleep(50);
        }
    }

    public String api() {
        return api;
    }

    /** The token file the control plane made in its data directory, as a Secret would hold it. */
    public Path tokenFile() {
        return control.restAuth().tokenFile().orElseThrow();
    }

    /** The NVMe/TCP port of io-engine {@code node-i}. */
    public int nvmfPort(String node) {
        return nvmfPorts.get(index(node));
    }

    /** The NBD port of io-engine {@code node-i}. */
    public int nbdPort(String node) {
        return nbdPorts.get(index(node));
    }

    private static int index(String node) {
        return Integer.parseInt(node.substring("node-".length())) - 1;
    }

    public JsonNode get(String path) {
        return call("GET", path, null);
    }

    JsonNode call(String method, String path, String body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(api + path)).timeout(Duration.ofSeconds(60))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body));
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            b.header("Authorization", "Bearer " + java.nio.file.Files.readString(tokenFile()).strip());
            HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() >= 300) {
                throw new AssertionError(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
            }
            return r.body().isBlank() ? JSON.nullNode() : JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    @Override
    public void close() {
        control.close();
    }
}
