package io.caspian.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The real roles over Artery TLS, each in its own JVM on 127.0.0.1: {@code caspian control} and
 * {@code caspian io-engine} with the {@code --cluster-tls-*} flags form a cluster (the io-engine registers and is
 * Online); an io-engine that trusts the cluster but holds a certificate of its own is refused at the handshake and
 * never registers.
 */
class ClusterTlsIT {
    private static final Duration SETTLE = Duration.ofSeconds(90);
    /** Several join attempts of the refused io-engine. */
    private static final Duration REFUSED = Duration.ofSeconds(20);

    private final List<RoleProcess> processes = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (RoleProcess p : processes) {
            p.close();
        }
    }

    @Test
    void controlAndIoEngineOverTlsAndAnUntrustedIoEngineStaysOut() throws Exception {
        Path work = Files.createDirectories(Path.of(System.getProperty("caspian.it.work", "target/it-work"))
                .resolve("cluster-tls-" + System.currentTimeMillis()));
        Path tls = Files.createDirectories(work.resolve("tls"));
        Path cluster = TestKeyStores.keyStore(tls, "caspian-cluster");
        Path trust = TestKeyStores.trustStore(tls, cluster, "caspian-cluster");
        Path password = TestKeyStores.passwordFile(tls);
        Path intruder = TestKeyStores.keyStore(tls, "intruder");
        int controlPort = Ports.free();
        int restPort = Ports.free();

        processes.add(RoleProcess.start("control", work, List.of("control", "--data-dir",
                work.resolve("control").toString(), "--port", String.valueOf(controlPort), "--rest",
                "127.0.0.1:" + restPort, "--seed", "127.0.0.1:" + controlPort, "--cluster-tls-keystore",
                cluster.toString(), "--cluster-tls-truststore", trust.toString(), "--cluster-tls-password-file",
                password.toString())));
        processes.add(engine(work, "node-1", controlPort, cluster, trust, password));
        Api api = new Api(restPort, work.resolve("control"));
        Waits.await("node-1 Online over Artery TLS", SETTLE, work, () -> online(api.get("/v0/nodes"), "node-1"));

        RoleProcess refused = engine(work, "intruder", controlPort, intruder, trust, password);
        processes.add(refused);
        long deadline = System.nanoTime() + REFUSED.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode nodes = api.get("/v0/nodes");
            assertFalse(nodes.toString().contains("intruder"), "the untrusted io-engine registered: " + nodes);
            assertTrue(online(nodes, "node-1"), "node-1 left: " + nodes);
            Thread.sleep(500);
        }
        assertTrue(refused.alive(), "the refused io-engine should keep trying, not exit");
        String log = Files.readString(refused.log());
        assertTrue(log.contains("SSLHandshakeException"), "no TLS handshake failure in " + refused.log());
    }

    private static RoleProcess engine(Path work, String id, int controlPort, Path keyStore, Path trustStore,
                                      Path password) throws Exception {
        return RoleProcess.start(id, work, List.of("io-engine", "--node-id", id, "--data-dir",
                work.resolve(id).toString(), "--port", String.valueOf(Ports.free()), "--seed",
                "127.0.0.1:" + controlPort, "--nbd-port", String.valueOf(Ports.free()), "--nvmf-port",
                String.valueOf(Ports.free()), "--cluster-tls-keystore", keyStore.toString(), "--cluster-tls-truststore",
                trustStore.toString(), "--cluster-tls-password-file", password.toString()));
    }

    private static boolean online(JsonNode nodes, String id) {
        for (JsonNode n : nodes) {
            if (id.equals(n.path("id").asText()) && "Online".equals(n.path("status").asText())) {
                return true;
            }
        }
        return false;
    }
}
