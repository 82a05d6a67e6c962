package io.caspian.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.caspian.control.TestRest.Res;
import io.caspian.events.ioengine.NexusStats;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane for real (cluster, sharding, H2 journal, REST on 127.0.0.1) against fake io-engines that
 * speak the DataNode protocol through the Receptionist: REST status codes, placement, reconciliation.
 */
class ControlPlaneTest {
    private static final long MIB = 1 << 20;

    @TempDir
    static Path dataDir;
    private static ControlPlane control;
    private static TestRest rest;
    private static final Map<String, ActorRef<Object>> ENGINES = new java.util.HashMap<>();
    private static final Set<String> DESTROYED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void start() throws Exception {
        control = ControlPlane.start(ConfigFactory.parseMap(Map.of(
                "pekko.cluster.roles", java.util.List.of("control", "io-engine"),
                "pekko.remote.artery.canonical.hostname", "127.0.0.1",
                "pekko.remote.artery.canonical.port", 0,
                "pekko.loglevel", "WARNING",
                "caspian.data-dir", dataDir.toString(),
                "caspian.control.rest.port", 0,
                "caspian.control.volatile-pools-for-all", true,
                "caspian.control.reconcile-interval", "300ms",
                "caspian.control.io-engine-timeout", "3s")));
        rest = new TestRest(control);
        for (String n : new String[] {"node-a", "node-b", "node-c"}) {
            engine(n);
        }
        await(() -> get("/v0/nodes").body().size() == 3, "three nodes registered");
        for (String n : new String[] {"a", "b", "c"}) {
            Res r = put("/v0/nodes/node-" + n + "/pools/pool-" + n,
                    "{\"disks\":[\"malloc:///pool-" + n + "?size_mb=64\"],\"labels\":{\"tier\":\"fast\"}}");
            assertEquals(200, r.status(), r.body().toString());
        }
    }

    private static ActorRef<Object> engine(String node) {
        ActorRef<Object> ref = control.system().systemActorOf(FakeIoEngine.create(node, "127.0.0.1:4420", DESTROYED),
                "fake-" + node + "-" + UUID.randomUUID(), Props.empty());
        ENGINES.put(node, ref);
        return ref;
    }

    @AfterAll
    static void stop() {
        if (control != null) {
            control.close();
        }
    }

    @Test
    void nodesArePublishedWithTheirState() {
        Res nodes = get("/v0/nodes");
        assertEquals(200, nodes.status());
        Res one = get("/v0/nodes/node-a");
        assertEquals("Online", one.body().get("status").asText());
        assertEquals("node-a", one.body().get("labels").get("zone").asText());
        assertNotFound(get("/v0/nodes/nope"));
        Res spec = raw("GET", "/v0/api-spec", null);
        assertEquals(200, spec.status());
    }

    @Test
    void poolCreationIsIdempotentAndErrorsSayWhy() {
        String body = "{\"disks\":[\"malloc:///extra?size_mb=32\"]}";
        Res created = put("/v0/nodes/node-a/pools/extra", body);
        assertEquals(200, created.status(), created.body().toString());
        assertEquals(32 * MIB, created.body().get("capacity").asLong());
        assertEquals("Online", created.body().get("status").asText());
        assertEquals(200, put("/v0/nodes/node-a/pools/extra", body).status());
        assertError(409, put("/v0/nodes/node-a/pools/extra", "{\"disks\":[\"malloc:///other?size_mb=8\"]}"),
                "already exists");
        assertError(404, put("/v0/nodes/node-x/pools/p", body), "node-x");
        assertError(400, put("/v0/nodes/node-a/pools/p", "{\"disks\": [\"a\""), "invalid JSON");
        assertError(400, put("/v0/nodes/node-a/pools/p", "{\"disks\":[\"a\"],\"colour\":1}"), "colour");
        assertError(400, put("/v0/nodes/node-a/pools/p", "{\"disks\":[]}"), "exactly one disk");
        assertError(400, put("/v0/nodes/node-a/pools/p", "{\"disks\":[\"a\"],\"labels\":{\"zone\":null}}"), "zone");
        assertError(422, put("/v0/nodes/node-a/pools/bad", "{\"disks\":[\"/dev/nonexistent\"]}"), "/dev/nonexistent");
        // A disk outside the io-engine's allow list: 403 with the io-engine's kind, and no pool is left behind.
        Res denied = put("/v0/nodes/node-a/pools/secret", "{\"disks\":[\"/etc/passwd\"]}");
        assertError(403, denied, "/etc/passwd");
        assertEquals("IO_ENGINE_PERMISSION_DENIED", denied.body().path("kind").asText());
        assertNotFound(get("/v0/pools/secret"));
        // "overwrite" reaches the io-engine only when the request says so.
        String dirty = "{\"disks\":[\"malloc:///dirty?size_mb=8&holds=data\"]";
        assertError(422, put("/v0/nodes/node-a/pools/dirty", dirty + "}"), "overwrite");
        assertNotFound(get("/v0/pools/dirty"));
        assertError(422, put("/v0/nodes/node-a/pools/dirty", dirty + ",\"overwrite\":false}"), "overwrite");
        assertEquals(200, put("/v0/nodes/node-a/pools/dirty", dirty + ",\"overwrite\":true}").status());
        assertNotFound(get("/v0/pools/bad"));
        assertNotFound(get("/v0/nodes/node-b/pools/extra"));
        assertEquals(200, get("/v0/pools/extra").status());
        assertEquals(204, delete("/v0/nodes/node-a/pools/extra").status());
        assertNotFound(delete("/v0/nodes/node-a/pools/extra"));
        assertError(405, raw("POST", "/v0/volumes/x", "{}"), "");
        assertNotFound(get("/v0/nowhere"));
    }

    @Test
    void volumeLifecycleOverRest() {
        String id = UUID.randomUUID().toString();
        String spec = "{\"size\":" + 4 * MIB + ",\"replicas\":3,\"thin\":false,"
                + "\"topology\":{\"pool_labels\":{\"tier\":\"fast\"}}}";
        Res created = put("/v0/volumes/" + id, spec);
        assertEquals(200, created.status(), created.body().toString());
        assertEquals(3, created.body().get("replicas").size());
        Set<String> nodes = new HashSet<>();
        created.body().get("replicas").forEach(r -> nodes.add(get("/v0/replicas/" + r.asText()).body().get("node")
                .asText()));
        assertEquals(3, nodes.size(), "replicas on distinct nodes");
        Res again = put("/v0/volumes/" + id, spec);
        assertEquals(200, again.status());
        assertEquals(created.body().get("replicas"), again.body().get("replicas"));
        assertError(409, put("/v0/volumes/" + id, spec.replace("\"replicas\":3", "\"replicas\":2")),
                "different spec");
        assertError(422, put("/v0/volumes/" + UUID.randomUUID(), spec.replace("\"replicas\":3", "\"replicas\":4")),
                "found 3 of 4");
        assertError(422, put("/v0/volumes/" + UUID.randomUUID(), spec.replace("fast", "slow")), "labels");
        assertError(400, put("/v0/volumes/" + UUID.randomUUID(), "{\"size\":0,\"replicas\":1}"), "size");
        assertError(400, put("/v0/volumes/" + UUID.randomUUID(), "{\"replicas\":1}"), "size");
        assertError(400, put("/v0/volumes/" + UUID.randomUUID(),
                "{\"size\":1048576,\"replicas\":1,\"topology\":{\"node_labels\":{\"zone\":null}}}"), "zone");
        assertNotFound(get("/v0/volumes/" + UUID.randomUUID()));

        assertError(400, put("/v0/volumes/" + id + "/target", ""), "protocol");
        assertError(400, put("/v0/volumes/" + id + "/target?protocol=iscsi", ""), "iscsi");
        Res published = put("/v0/volumes/" + id + "/target?protocol=nvmf&node=node-b", "");
        assertEquals(200, published.status(), published.body().toString());
        assertTrue(published.body().get("target").get("device_uri").asText().startsWith("nvmf://"));
        assertEquals("node-b", published.body().get("target").get("node").asText());
        await(() -> "Online".equals(get("/v0/volumes/" + id).body().get("status").asText()), "volume online");
        assertEquals(3, get("/v0/nexuses/" + id).body().get("children").size());
        assertError(409, put("/v0/volumes/" + id + "/target?protocol=nbd", ""), "already published");
        assertTrue(get("/v0/volumes").body().toString().contains(id));
        assertTrue(get("/v0/nexuses").body().toString().contains(id));
        String firstReplica = created.body().get("replicas").get(0).asText();
        assertTrue(get("/v0/replicas").body().toString().contains(firstReplica));
        assertEquals(id, get("/v0/replicas/" + firstReplica).body().get("volume").asText());
        assertTrue(get("/v0/pools").body().size() >= 3);

        assertError(400, put("/v0/volumes/" + id + "/replica_count/x", ""), "integer");
        assertError(400, put("/v0/volumes/" + id + "/replica_count/0", ""), "1 to 16");
        Res scaled = put("/v0/volumes/" + id + "/replica_count/2", "");
        assertEquals(200, scaled.status(), scaled.body().toString());
        assertEquals(2, scaled.body().get("replicas").size());
        assertEquals(2, get("/v0/nexuses/" + id).body().get("children").size());
        Res up = put("/v0/volumes/" + id + "/replica_count/3", "");
        assertEquals(200, up.status(), up.body().toString());
        assertEquals(3, up.body().get("replicas").size());
        assertEquals(3, get("/v0/nexuses/" + id).body().get("children").size());
        await(() -> "Online".equals(get("/v0/volumes/" + id).body().get("status").asText()),
                "new replica rebuilt, volume online again");
        assertError(422, put("/v0/volumes/" + id + "/replica_count/4", ""), "found 0 of 1");
        Res scaledAgain = put("/v0/volumes/" + id + "/replica_count/2", "");
        assertEquals(2, scaledAgain.body().get("replicas").size());

        Res unpublished = delete("/v0/volumes/" + id + "/target");
        assertEquals(200, unpublished.status());
        assertTrue(unpublished.body().get("target").isNull());
        assertNotFound(get("/v0/nexuses/" + id));
        assertEquals(204, delete("/v0/volumes/" + id).status());
        assertNotFound(get("/v0/volumes/" + id));
        await(() -> control.inventory().replicas().stream().noneMatch(r -> scaled.body().get("replicas").toString()
                .contains(r.info().uuid())), "replicas destroyed on the io-engines");
    }

    @Test
    void aVolumeThePoolsRefuseFailsAndLeavesNothingBehind() {
        Res pool = put("/v0/nodes/node-b/pools/refusing", "{\"disks\":[\"malloc:///refuse-replicas?size_mb=64\"],"
                + "\"labels\":{\"tier\":\"broken\"}}");
        assertEquals(200, pool.status(), pool.body().toString());
        String id = UUID.randomUUID().toString();
        Res refused = put("/v0/volumes/" + id, "{\"size\":" + MIB + ",\"replicas\":1,"
                + "\"topology\":{\"pool_labels\":{\"tier\":\"broken\"}}}");
        assertError(422, refused, "pool refusing on node-b refused");
        assertTrue(refused.body().get("message").asText().contains("metadata write failed"), refused.body().toString());
        assertNotFound(get("/v0/volumes/" + id));
        for (JsonNode r : get("/v0/replicas").body()) {
            assertTrue(!id.equals(r.path("volume").asText()), "replica left behind: " + r);
        }
        assertEquals(204, delete("/v0/nodes/node-b/pools/refusing").status(), "the pool holds nothing");
    }

    @Test
    void orphanedReplicasAreDestroyed() {
        String stray = UUID.randomUUID().toString();
        ENGINES.get("node-c").tell(new FakeIoEngine.AddStrayReplica(stray, "pool-c", MIB));
        // No Replica entity claims it, so the next sweep destroys it on the io-engine.
        await(() -> DESTROYED.contains(stray), "stray replica destroyed");
        await(() -> control.inventory().replica(stray).isEmpty(), "stray replica gone from the reports");
    }

    @Test
    void nexusIsRecreatedAfterIoEngineRestartAndFaultedChildReplaced() {
        String id = UUID.randomUUID().toString();
        assertEquals(200, put("/v0/volumes/" + id, "{\"size\":" + 2 * MIB + ",\"replicas\":2,\"thin\":true}")
                .status());
        Res published = put("/v0/volumes/" + id + "/target?protocol=nbd&node=node-a", "");
        assertEquals(200, published.status(), published.body().toString());
        assertTrue(published.body().get("target").get("device_uri").asText().startsWith("nbd://"));

        String instance = control.inventory().node("node-a").orElseThrow().report().instance();
        ENGINES.get("node-a").tell(new FakeIoEngine.Restart());
        await(() -> !control.inventory().node("node-a").orElseThrow().report().instance().equals(instance)
                && control.inventory().nexus("node-a", id).map(n -> !n.deviceUri().isEmpty()).orElse(false),
                "nexus re-created and re-published on the restarted io-engine");

        JsonNode nexus = get("/v0/nexuses/" + id).body();
        String victim = nexus.get("children").get(1).get("uri").asText();
        String victimReplica = nexus.get("children").get(1).get("replica").asText();
        ENGINES.get("node-a").tell(new FakeIoEngine.FaultChild(id, victim));
        await(() -> {
            JsonNode v = get("/v0/volumes/" + id).body();
            return v.get("replicas").size() == 2 && !v.get("replicas").toString().contains(victimReplica)
                    && "Online".equals(v.get("status").asText());
        }, "faulted child replaced by a new replica, rebuilt, volume online");
    }

    @Test
    void statsOfAPublishedVolumeWithRatesBetweenTwoReads() {
        String id = UUID.randomUUID().toString();
        Res created = put("/v0/volumes/" + id, "{\"size\":" + 4 * MIB + ",\"replicas\":1,\"thin\":true,"
                + "\"topology\":{\"pool_labels\":{\"tier\":\"fast\"}}}");
        assertEquals(200, created.status(), created.body().toString());
        assertNotFound(get("/v0/volumes/" + UUID.randomUUID() + "/stats"));
        assertError(409, get("/v0/volumes/" + id + "/stats"), "not published");
        assertTrue(get("/v0/volumes/" + id).body().get("target").isNull(), "a refused read published nothing");

        // Told before the publish request is sent, so the engine holds the counters before the nexus exists.
        NexusStats before = new NexusStats(id, 100, 409_600, 5_000, 10, 40_960, 900);
        ENGINES.get("node-a").tell(new FakeIoEngine.SetStats(before));
        assertEquals(200, put("/v0/volumes/" + id + "/target?protocol=nbd&node=node-a", "").status());
        Res first = get("/v0/volumes/" + id + "/stats");
        assertEquals(200, first.status(), first.body().toString());
        assertEquals(id, first.body().get("volume").asText());
        assertEquals("node-a", first.body().get("node").asText());
        assertEquals(100, first.body().get("read_ops").asLong());
        assertEquals(10, first.body().get("write_ops").asLong());
        assertEquals(409_600, first.body().get("bytes_read").asLong());
        assertEquals(40_960, first.body().get("bytes_written").asLong());
        assertEquals(5_000, first.body().get("read_latency_us").asLong());
        assertEquals(900, first.body().get("write_latency_us").asLong());
        for (String rate : new String[] {"read_iops", "write_iops", "read_bps", "write_bps"}) {
            assertTrue(first.body().get(rate).isNull(), "no previous read, no " + rate + ": " + first.body());
        }

        NexusStats after = new NexusStats(id, 150, 614_400, 7_000, 30, 122_880, 1_500);
        ENGINES.get("node-a").tell(new FakeIoEngine.SetStats(after));
        // Reads sooner than 0.2 s after the first have no rates and keep the first as the baseline.
        Res[] second = new Res[1];
        await(() -> {
            second[0] = get("/v0/volumes/" + id + "/stats");
            return !second[0].body().get("read_iops").isNull();
        }, "a read with rates");
        double s = (second[0].body().get("time_ms").asLong() - first.body().get("time_ms").asLong()) / 1000.0;
        assertTrue(s >= 0.2 && s <= 60, "rates over " + s + " s");
        JsonNode b = second[0].body();
        assertEquals(150, b.get("read_ops").asLong());
        assertEquals(50 / s, b.get("read_iops").asDouble(), 1e-6, b.toString());
        assertEquals(20 / s, b.get("write_iops").asDouble(), 1e-6, b.toString());
        assertEquals(204_800 / s, b.get("read_bps").asDouble(), 1e-3, b.toString());
        assertEquals(81_920 / s, b.get("write_bps").asDouble(), 1e-3, b.toString());

        assertEquals(200, delete("/v0/volumes/" + id + "/target").status());
        assertError(409, get("/v0/volumes/" + id + "/stats"), "not published");
        assertEquals(204, delete("/v0/volumes/" + id).status());
        assertNotFound(get("/v0/volumes/" + id + "/stats"));
    }

    @Test
    void statsOfAVolumeOnAnOfflineNodeAnswer503() {
        ActorRef<Object> e = engine("node-e");
        await(() -> "Online".equals(get("/v0/nodes/node-e").body().path("status").asText()), "node-e online");
        assertEquals(200, put("/v0/nodes/node-e/pools/pool-e", "{\"disks\":[\"malloc:///pool-e?size_mb=16\"]}")
                .status());
        String id = UUID.randomUUID().toString();
        Res created = put("/v0/volumes/" + id, "{\"size\":" + MIB + ",\"replicas\":1,\"thin\":true,"
                + "\"topology\":{\"node_labels\":{\"zone\":\"node-e\"}}}");
        assertEquals(200, created.status(), created.body().toString());
        assertEquals(200, put("/v0/volumes/" + id + "/target?protocol=nbd&node=node-e", "").status());
        assertEquals(200, get("/v0/volumes/" + id + "/stats").status());
        e.tell(new FakeIoEngine.Stop());
        await(() -> "Offline".equals(get("/v0/nodes/node-e").body().path("status").asText()), "node-e offline");
        assertError(503, get("/v0/volumes/" + id + "/stats"), "node-e");
    }

    @Test
    void offlineNodeAnswers503() {
        ActorRef<Object> d = engine("node-d");
        await(() -> "Online".equals(get("/v0/nodes/node-d").body().path("status").asText()), "node-d online");
        d.tell(new FakeIoEngine.Stop());
        await(() -> "Offline".equals(get("/v0/nodes/node-d").body().path("status").asText()), "node-d offline");
        assertError(503, put("/v0/nodes/node-d/pools/pd", "{\"disks\":[\"malloc:///pd?size_mb=8\"]}"), "offline");
        assertNotFound(get("/v0/pools/pd"));
    }

    // ------------------------------------------------------------------ helpers

    private static void assertNotFound(Res r) {
        assertError(404, r, "");
    }

    private static void assertError(int status, Res r, String text) {
        assertEquals(status, r.status(), r.body().toString());
        assertFalse(r.body().path("message").asText().isEmpty(), "error has a message: " + r.body());
        assertTrue(r.body().get("message").asText().contains(text), "message '" + r.body().get("message")
                + "' should mention '" + text + "'");
    }

    private static void await(BooleanSupplier condition, String what) {
        TestRest.await(condition, what);
    }

    private static Res get(String path) {
        return rest.get(path);
    }

    private static Res put(String path, String body) {
        return rest.put(path, body);
    }

    private static Res delete(String path) {
        return rest.delete(path);
    }

    private static Res raw(String method, String path, String body) {
        return rest.call(method, path, body);
    }
}
