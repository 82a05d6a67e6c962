package io.caspian.control;

import static io.caspian.control.FaultLoopSupport.await;
import static io.caspian.control.FaultLoopSupport.verify;
import static io.caspian.control.FaultLoopSupport.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.events.ioengine.IoEngineProtocol;
import io.caspian.kafka.KafkaBroker;
import io.caspian.nvmf.host.NvmfDevice;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who reaches what, with real io-engines: a replica's subsystem admits only the host NQN of the node running its
 * volume's nexus (and follows the nexus when it moves), a volume's subsystem only the hosts it is published to.
 */
class ReplicaAccessTest {
    private static final long MIB = 1L << 20;
    private static final String INTRUDER = "nqn.2014-08.org.nvmexpress:uuid:0badc0de-0000-4000-8000-00000000beef";
    private static final String H1 = "nqn.2014-08.org.nvmexpress:uuid:11111111-1111-4111-8111-111111111111";
    private static final String H2 = "nqn.2014-08.org.nvmexpress:uuid:22222222-2222-4222-8222-222222222222";

    @TempDir
    static Path dir;
    static KafkaBroker broker;
    static ControlPlane control;

    @BeforeAll
    static void start() {
        broker = FaultLoopSupport.startBroker(dir);
        control = FaultLoopSupport.startControlPlane(dir, broker, "ra", Map.of(
                "caspian.control.reconcile-interval", "500ms"));
    }

    @AfterAll
    static void stop() {
        if (control != null) {
            control.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    private static JsonNode call(String method, String path, int expected) {
        return FaultLoopSupport.call(control, method, path, null, expected);
    }

    private static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Opens {@code uri} presenting {@code hostNqn}, as any host on the storage network could. */
    private static BlockDevice openAs(String uri, String hostNqn) throws BdevException {
        return NvmfDevice.open(uri + "?hostnqn=" + hostNqn + "&connect_timeout_ms=5000");
    }

    private static void admitted(String uri, String hostNqn) throws Exception {
        openAs(uri, hostNqn).close();
    }

    private static void refused(String uri, String hostNqn) {
        BdevException e = assertThrows(BdevException.class, () -> openAs(uri, hostNqn).close(),
                hostNqn + " was admitted on " + uri);
        assertTrue(e.getMessage().contains("not allowed"), e.getMessage());
    }

    /** The nexus's children that are remote replicas (nvmf://), waiting until there are {@code n}. */
    private static List<String> remoteChildren(String id, int n) throws InterruptedException {
        List<String> uris = new ArrayList<>();
        await(() -> {
            uris.clear();
            for (JsonNode c : call("GET", "/v0/nexuses/" + id, 200).get("children")) {
                if (c.get("uri").asText().startsWith("nvmf://")) {
                    uris.add(c.get("uri").asText());
                }
            }
            return uris.size() == n;
        }, n + " remote children");
        return uris;
    }

    @Test
    void onlyTheNexusNodeReachesAReplicaAndOnlyItsHostsReachAVolume() throws Exception {
        await(() -> call("GET", "/v0/nodes", 200).size() == 3, "three io-engines registered");
        for (int i = 1; i <= 3; i++) {
            FaultLoopSupport.call(control, "PUT", "/v0/nodes/ra-" + i + "/pools/ra-p" + i,
                    "{\"disks\":[\"malloc:///ra-p" + i + "?size_mb=32\"]}", 200);
        }
        String id = UUID.randomUUID().toString();
        FaultLoopSupport.call(control, "PUT", "/v0/volumes/" + id, "{\"size\":" + 8 * MIB
                + ",\"replicas\":3}", 200);
        JsonNode published = call("PUT", "/v0/volumes/" + id + "/target?protocol=nvmf&node=ra-1&host=" + q(H1), 200);
        assertEquals(List.of(H1), hosts(published));
        String device = published.get("target").get("device_uri").asText();
        await(() -> "Online".equals(call("GET", "/v0/volumes/" + id, 200).get("status").asText()), "volume online");

        // Replicas on ra-2 and ra-3 serve the nexus on ra-1, and nobody else.
        for (String child : remoteChildren(id, 2)) {
            refused(child, INTRUDER);
            refused(child, IoEngineProtocol.hostNqn("ra-2"));
            refused(child, H1);
            admitted(child, IoEngineProtocol.hostNqn("ra-1"));
        }

        // The volume admits H1 only; publishing again to H2 swaps them, the data stays.
        long[] sums;
        try (BlockDevice dev = openAs(device, H1)) {
            sums = write(dev, 11);
        }
        refused(device, INTRUDER);
        refused(device, H2);
        JsonNode again = call("PUT", "/v0/volumes/" + id + "/target?protocol=nvmf&host=" + q(H2), 200);
        assertEquals(List.of(H2), hosts(again));
        assertEquals(device, again.get("target").get("device_uri").asText());
        refused(device, H1);
        try (BlockDevice dev = openAs(device, H2)) {
            verify(dev, sums);
        }

        // Bad input changes nothing.
        call("PUT", "/v0/volumes/" + id + "/target?protocol=nvmf&host=not-an-nqn", 400);
        call("PUT", "/v0/volumes/" + id + "/target?protocol=nbd&host=" + q(H1), 400);
        assertEquals(List.of(H2), hosts(call("GET", "/v0/volumes/" + id, 200)));
        admitted(device, H2);

        // The nexus moves to ra-2: every remote replica now admits ra-2's io-engine, not ra-1's.
        call("DELETE", "/v0/volumes/" + id + "/target", 200);
        JsonNode moved = call("PUT", "/v0/volumes/" + id + "/target?protocol=nvmf&node=ra-2&host=" + q(H1)
                + "&host=" + q(H2), 200);
        assertEquals(List.of(H1, H2), hosts(moved));
        for (String child : remoteChildren(id, 2)) {
            refused(child, IoEngineProtocol.hostNqn("ra-1"));
            admitted(child, IoEngineProtocol.hostNqn("ra-2"));
        }
        await(() -> "Online".equals(call("GET", "/v0/volumes/" + id, 200).get("status").asText()),
                "volume online on ra-2");
        try (BlockDevice dev = openAs(moved.get("target").get("device_uri").asText(), H2)) {
            verify(dev, sums);
        }
        call("DELETE", "/v0/volumes/" + id, 204);
    }

    private static List<String> hosts(JsonNode volume) {
        List<String> out = new ArrayList<>();
        volume.get("target").get("hosts").forEach(h -> out.add(h.asText()));
        return out;
    }
}
