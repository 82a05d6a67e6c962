package io.caspian.it;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One control node and {@code n} io-engines, each a JVM of its own with a 96 MiB file pool: the cluster the node
 * loss tests kill parts of. Closing it resumes any stopped process first, so none is left frozen.
 */
final class EngineCluster implements AutoCloseable {
    final Path work;
    final Api api;
    /** The io-engines by node id, node-1 to node-n. */
    final Map<String, RoleProcess> engines = new LinkedHashMap<>();
    private final List<RoleProcess> processes = new ArrayList<>();

    private EngineCluster(Path work, Api api) {
        this.work = work;
        this.api = api;
    }

    /** {@code controlFlags} and {@code engineFlags} are added to every control and io-engine command line. */
    static EngineCluster start(String name, int n, List<String> controlFlags, List<String> engineFlags)
            throws Exception {
        Path work = Files.createDirectories(Path.of(System.getProperty("caspian.it.work", "target/it-work"))
                .resolve(name + "-" + System.currentTimeMillis()));
        int controlPort = Ports.free();
        int restPort = Ports.free();
        List<Integer> enginePorts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            enginePorts.add(Ports.free());
        }
        List<String> control = new ArrayList<>(List.of("control", "--data-dir", work.resolve("control").toString(),
                "--port", String.valueOf(controlPort), "--rest", "127.0.0.1:" + restPort,
                "--seed", "127.0.0.1:" + controlPort));
        enginePorts.forEach(p -> control.addAll(List.of("--seed", "127.0.0.1:" + p)));
        control.addAll(controlFlags);
        EngineCluster c = new EngineCluster(work, new Api(restPort, work.resolve("control")));
        try {
            c.processes.add(RoleProcess.start("control", work, control));
            for (int i = 1; i <= n; i++) {
                String node = "node-" + i;
                List<String> engine = new ArrayList<>(List.of("io-engine", "--node-id", node,
                        "--data-dir", work.resolve(node).toString(), "--port", String.valueOf(enginePorts.get(i - 1)),
                        "--seed", "127.0.0.1:" + controlPort, "--nbd-port", String.valueOf(Ports.free()),
                        "--nvmf-port", String.valueOf(Ports.free())));
                engine.addAll(engineFlags);
                RoleProcess e = RoleProcess.start(node, work, engine);
                c.processes.add(e);
                c.engines.put(node, e);
            }
            for (String node : c.engines.keySet()) {
                Waits.await(node + " online", Duration.ofSeconds(120), work,
                        () -> "Online".equals(c.api.get("/v0/nodes/" + node).path("status").asText()));
                String disk = "file://" + work.resolve(node).resolve("pool.img").toAbsolutePath() + "?size_mb=96";
                c.api.put("/v0/nodes/" + node + "/pools/pool-" + node, "{\"disks\":[\"" + disk + "\"]}");
            }
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Creates a thick volume of {@code replicas} replicas, publishes it over NVMe/TCP and waits until Online. */
    JsonNode publishedVolume(String volume, long bytes, int replicas) throws Exception {
        api.put("/v0/volumes/" + volume, "{\"size\":" + bytes + ",\"replicas\":" + replicas + ",\"thin\":false}");
        api.put("/v0/volumes/" + volume + "/target?protocol=nvmf", null);
        Waits.await("volume online", Duration.ofSeconds(60), work,
                () -> "Online".equals(api.get("/v0/volumes/" + volume).path("status").asText()));
        return api.get("/v0/volumes/" + volume).path("target");
    }

    /** How many of the volume's nexus children are Online. */
    int onlineChildren(String volume) throws Exception {
        int online = 0;
        for (JsonNode child : api.get("/v0/nexuses/" + volume).path("children")) {
            online += "Online".equals(child.path("state").asText()) ? 1 : 0;
        }
        return online;
    }

    @Override
    public void close() throws Exception {
        for (RoleProcess p : processes) {
            if (p.alive()) {
                p.signal("CONT");
            }
            p.close();
        }
    }
}
