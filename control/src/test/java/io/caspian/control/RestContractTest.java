package io.caspian.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.caspian.control.TestRest.Res;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The REST API against its own OpenAPI document and against bad input, on a real control plane (cluster,
 * sharding, H2 journal) with fake io-engines:
 * <ul>
 *   <li>a corpus of bad requests, each answered with the 4xx it deserves and a JSON message, after which the whole
 *       inventory is exactly what it was (requests without the right token among them: 401 before anything);</li>
 *   <li>a script that makes the API answer every status the document lists for each path and method, and checks
 *       that no answer carries a status the document does not list.</li>
 * </ul>
 * {@code /v0/events} is served by the projections (caspian-projections) and checked by their tests.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RestContractTest {
    private static final long MIB = 1 << 20;
    private static final String POOL_TEMPLATE = "/v0/nodes/{node}/pools/{pool}";

    @TempDir
    static Path dataDir;
    private static ControlPlane control;
    private static TestRest rest;
    private static final Map<String, ActorRef<Object>> ENGINES = new TreeMap<>();
    /** A 2-replica volume published over NBD on node-a. */
    private static String published;
    private static String publishedReplica;

    @BeforeAll
    static void start() {
        control = ControlPlane.start(ConfigFactory.parseMap(Map.of(
                "pekko.cluster.roles", List.of("control", "io-engine"),
                "pekko.remote.artery.canonical.hostname", "127.0.0.1",
                "pekko.remote.artery.canonical.port", 0,
                "pekko.loglevel", "ERROR",
                "caspian.data-dir", dataDir.toString(),
                "caspian.control.rest.port", 0,
                "caspian.control.volatile-pools-for-all", true,
                "caspian.control.reconcile-interval", "300ms",
                "caspian.control.io-engine-timeout", "2s")));
        rest = new TestRest(control);
        Set<String> destroyed = java.util.concurrent.ConcurrentHashMap.newKeySet();
        for (String n : List.of("node-a", "node-b", "node-z", "node-m")) {
            ENGINES.put(n, control.system().systemActorOf(FakeIoEngine.create(n, "127.0.0.1:4420", destroyed),
                    "fake-" + n, Props.empty()));
        }
        TestRest.await(() -> rest.get("/v0/nodes").body().size() == 4, "four nodes registered");
        for (String n : List.of("a", "b", "z", "m")) {
            ok(rest.put("/v0/nodes/node-" + n + "/pools/pool-" + n,
                    "{\"disks\":[\"malloc:///pool-" + n + "?size_mb=64\"],\"labels\":{\"class\":\""
                    + (n.equals("a") || n.equals("b") ? "main" : "aside") + "\"}}"));
        }
        published = UUID.randomUUID().toString();
        // On node-a's and node-b's pools, away from the io-engines the contract test hangs and stops.
        JsonNode v = ok(rest.put("/v0/volumes/" + published, "{\"size\":" + 4 * MIB + ",\"replicas\":2,\"thin\":true,"
                + "\"topology\":{\"pool_labels\":{\"class\":\"main\"}}}"));
        publishedReplica = v.get("replicas").get(0).asText();
        ok(rest.put("/v0/volumes/" + published + "/target?protocol=nbd&node=node-a", null));
        TestRest.await(() -> "Online".equals(rest.get("/v0/volumes/" + published).body().path("status").asText()),
                "the published volume online");
    }

    @AfterAll
    static void stop() {
        if (control != null) {
            control.close();
        }
    }

    /**
     * One bad request and what it must get: {@code status} 0 stands for any 4xx. {@code authorization} is the header
     * sent, none when empty; by default the right token's.
     */
    private record Bad(String method, String path, String body, int status, Optional<String> authorization) {
        Bad(String method, String path, String body, int status) {
            this(method, path, body, status, TestRest.authorization(control));
        }
    }

    @Test
    @Order(1)
    void everyBadRequestGetsA4xxWithAJsonMessageAndChangesNothing() {
        String before = inventory();
        String fresh = "/v0/volumes/" + UUID.randomUUID();
        String vol = "/v0/volumes/" + published;
        String ok = "{\"size\":" + MIB + ",\"replicas\":1}";
        String right = TestRest.authorization(control).orElseThrow();
        List<Bad> corpus = new ArrayList<>(List.of(
                // ids and names
                new Bad("GET", "/v0/volumes/not-a-uuid", null, 400),
                new Bad("PUT", "/v0/volumes/not-a-uuid", ok, 400),
                new Bad("PUT", "/v0/volumes/" + UUID.randomUUID().toString().toUpperCase(), ok, 400),
                new Bad("PUT", "/v0/volumes/%00" + UUID.randomUUID().toString().substring(1), ok, 400),
                new Bad("PUT", "/v0/volumes/a%0Ab", ok, 400),
                new Bad("PUT", "/v0/volumes/..%2F..%2Fx", ok, 400),
                new Bad("DELETE", "/v0/volumes/not-a-uuid", null, 400),
                new Bad("GET", "/v0/replicas/x", null, 400),
                new Bad("GET", "/v0/nexuses/x", null, 400),
                new Bad("GET", "/v0/nodes/Node_A", null, 400),
                new Bad("GET", "/v0/pools/%E2%80%AEpool", null, 400),
                new Bad("PUT", "/v0/nodes/node-a/pools/%F0%9F%98%80%E2%80%AE",
                        "{\"disks\":[\"malloc:///e?size_mb=8\"]}", 400),
                new Bad("PUT", "/v0/nodes/node-a/pools/Pool_A", "{\"disks\":[\"malloc:///e?size_mb=8\"]}", 400),
                new Bad("PUT", "/v0/nodes/node-a/pools/" + "p".repeat(254), "{\"disks\":[\"malloc:///e?size_mb=8\"]}",
                        400),
                new Bad("PUT", "/v0/nodes/node-a/pools/-p", "{\"disks\":[\"malloc:///e?size_mb=8\"]}", 400),
                new Bad("PUT", "/v0/nodes/node%00a/pools/p", "{\"disks\":[\"malloc:///e?size_mb=8\"]}", 400),
                new Bad("PUT", vol + "/children/not-a-uuid/fault", "{\"op\":\"read\",\"length\":512}", 400),
                new Bad("DELETE", vol + "/children/not-a-uuid/fault", null, 400),
                new Bad("PUT", vol + "/target?protocol=nbd&node=Node%0A", null, 400),
                // numbers
                new Bad("PUT", vol + "/replica_count/x", null, 400),
                new Bad("PUT", vol + "/replica_count/+2", null, 400),
                new Bad("PUT", vol + "/replica_count/1.5", null, 400),
                new Bad("PUT", vol + "/replica_count/99999999999", null, 400),
                new Bad("PUT", vol + "/replica_count/0", null, 400),
                new Bad("PUT", vol + "/replica_count/17", null, 400),
                new Bad("PUT", fresh + "/replica_count/2", null, 404),
                new Bad("PUT", vol + "/rebuild_rate/x", null, 400),
                new Bad("PUT", vol + "/rebuild_rate/-1", null, 400),
                new Bad("PUT", vol + "/rebuild_rate/1.5", null, 400),
                new Bad("PUT", vol + "/rebuild_rate/1000", null, 400),
                new Bad("PUT", vol + "/rebuild_rate/99999999999999999999", null, 400),
                new Bad("PUT", fresh + "/rebuild_rate/0", null, 404),
                new Bad("PUT", fresh, "{\"size\":1048576,\"replicas\":1.5}", 400),
                new Bad("PUT", fresh, "{\"size\":\"1048576\",\"replicas\":1}", 400),
                new Bad("PUT", fresh, "{\"size\":1048576,\"replicas\":\"1\"}", 400),
                new Bad("PUT", fresh, "{\"size\":1048576,\"replicas\":1,\"thin\":\"true\"}", 400),
                new Bad("PUT", fresh, "{\"size\":1048576,\"replicas\":1,\"thin\":1}", 400),
                new Bad("PUT", fresh, "{\"size\":1e6,\"replicas\":1}", 400),
                new Bad("PUT", fresh, "{\"size\":1000,\"replicas\":1}", 400),
                new Bad("PUT", fresh, "{\"size\":-512,\"replicas\":1}", 400),
                new Bad("PUT", fresh, "{\"size\":0,\"replicas\":1}", 400),
                new Bad("PUT", fresh, "{\"size\":9223372036854775808,\"replicas\":1}", 400),
                new Bad("PUT", fresh, "{\"size\":1048576,\"replicas\":0}", 400),
                new Bad("PUT", fresh, "{\"size\":1048576,\"replicas\":17}", 400),
                new Bad("PUT", fresh, "{\"size\":1048576,\"replicas\":1,\"size\":2097152}", 400),
                new Bad("PUT", fresh, "{\"size\":1048576,\"replicas\":1,\"colour\":\"red\"}", 400),
                new Bad("PUT", fresh, "{\"replicas\":1}", 400),
                new Bad("PUT", fresh, "{\"size\":1048576,\"replicas\":1,\"topology\":{\"node_labels\":{\"zone\":5}}}",
                        400),
                new Bad("PUT", fresh, "{\"size\":1048576,\"replicas\":1,\"topology\":{\"racks\":{}}}", 400),
                // JSON that is not a body
                new Bad("PUT", fresh, "", 400),
                new Bad("PUT", fresh, "[]", 400),
                new Bad("PUT", fresh, "null", 400),
                new Bad("PUT", fresh, "\"x\"", 400),
                new Bad("PUT", fresh, "{}", 400),
                new Bad("PUT", fresh, "{\"size\":", 400),
                new Bad("PUT", fresh, "{\"size\":1048576,\"replicas\":1} trailing", 400),
                new Bad("PUT", fresh, "{\"size\":1048576,\"replicas\":1,\"pad\":\"" + "x".repeat(4 << 20) + "\"}", 0),
                // well-formed but impossible: nothing may be left behind
                new Bad("PUT", fresh, "{\"size\":4611686018427387904,\"replicas\":1,\"thin\":true}", 422),
                new Bad("PUT", fresh, "{\"size\":1073741824,\"replicas\":1}", 422),
                new Bad("PUT", fresh, "{\"size\":1048576,\"replicas\":5}", 422),
                new Bad("PUT", fresh, "{\"size\":1048576,\"replicas\":1,\"topology\":{\"pool_labels\":"
                        + "{\"tier\":\"none\"}}}", 422),
                new Bad("DELETE", fresh, null, 404),
                // pools
                new Bad("PUT", "/v0/nodes/node-a/pools/px", "{\"disks\":[\"malloc:///px?size_mb=8\"],"
                        + "\"overwrite\":\"yes\"}", 400),
                new Bad("PUT", "/v0/nodes/node-a/pools/px", "{\"disks\":\"malloc:///px?size_mb=8\"}", 400),
                new Bad("PUT", "/v0/nodes/node-a/pools/px", "{\"disks\":[\"malloc:///a\",\"malloc:///b\"]}", 400),
                new Bad("PUT", "/v0/nodes/node-a/pools/px", "{\"disks\":[\"malloc:///px?size_mb=8\"],"
                        + "\"labels\":{\"a\":[]}}", 400),
                new Bad("PUT", "/v0/nodes/node-x/pools/px", "{\"disks\":[\"malloc:///px?size_mb=8\"]}", 404),
                new Bad("PUT", "/v0/nodes/node-a/pools/pool-a", "{\"disks\":[\"malloc:///other?size_mb=8\"]}", 409),
                new Bad("PUT", "/v0/nodes/node-a/pools/px", "{\"disks\":[\"/dev/nonexistent\"]}", 422),
                // Outside the io-engine's disk allow list: refused before the disk is opened.
                new Bad("PUT", "/v0/nodes/node-a/pools/px", "{\"disks\":[\"/etc/passwd\"]}", 403),
                new Bad("PUT", "/v0/nodes/node-a/pools/px", "{\"disks\":[\"file:///etc/shadow?size_mb=64\"]}",
                        403),
                new Bad("PUT", "/v0/nodes/node-a/pools/px", "{\"disks\":[\"malloc:///px?size_mb=8&holds=data\"]}",
                        422),
                new Bad("DELETE", "/v0/nodes/node-a/pools/pool-a", null, 409),
                new Bad("DELETE", "/v0/nodes/node-a/pools/nope", null, 404),
                new Bad("GET", "/v0/nodes/node-b/pools/pool-a", null, 404),
                // publishing
                new Bad("PUT", vol + "/target", null, 400),
                new Bad("PUT", vol + "/target?protocol=iscsi", null, 400),
                new Bad("PUT", vol + "/target?protocol=nvmf&host=not-an-nqn", null, 400),
                new Bad("PUT", vol + "/target?protocol=nbd&node=node-b", null, 409),
                new Bad("PUT", vol + "/target?protocol=nvmf", null, 409),
                new Bad("PUT", fresh + "/target?protocol=nbd", null, 404),
                new Bad("DELETE", fresh + "/target", null, 404),
                new Bad("GET", fresh + "/stats", null, 404),
                // faults
                new Bad("PUT", vol + "/children/" + publishedReplica + "/fault", "{\"op\":\"explode\",\"length\":512}",
                        400),
                new Bad("PUT", vol + "/children/" + publishedReplica + "/fault", "{\"op\":\"read\"}", 400),
                new Bad("PUT", vol + "/children/" + publishedReplica + "/fault",
                        "{\"op\":\"read\",\"length\":512,\"count\":-1}", 400),
                new Bad("PUT", vol + "/children/" + publishedReplica + "/fault",
                        "{\"op\":\"read\",\"offset\":" + 4 * MIB + ",\"length\":512}", 400),
                new Bad("PUT", fresh + "/children/" + publishedReplica + "/fault", "{\"op\":\"read\",\"length\":512}",
                        404),
                // routes and methods
                new Bad("GET", "/v0/nowhere", null, 404),
                new Bad("GET", "/v1/volumes", null, 404),
                new Bad("POST", "/v0/volumes/" + UUID.randomUUID(), "{}", 405),
                new Bad("PATCH", "/v0/volumes", "{}", 405),
                new Bad("GET", "/v0/volumes/" + "a".repeat(9000), null, 0),
                // no token, a wrong one, a malformed header: refused before the route or its body is looked at
                new Bad("PUT", fresh, ok, 401, Optional.empty()),
                new Bad("PUT", fresh, "{not json", 401, Optional.empty()),
                new Bad("DELETE", vol, null, 401, Optional.of("Bearer wrong-token")),
                new Bad("DELETE", vol + "/target", null, 401, Optional.of(right + "x")),
                new Bad("PUT", vol + "/replica_count/1", null, 401, Optional.of(right.substring(0, right.length() - 1))),
                new Bad("PUT", "/v0/nodes/node-a/pools/px", "{\"disks\":[\"malloc:///px?size_mb=8\"]}", 401,
                        Optional.of("Bearer ")),
                new Bad("DELETE", "/v0/nodes/node-a/pools/pool-a", null, 401,
                        Optional.of(right.replace("Bearer ", "Basic "))),
                new Bad("PUT", vol + "/children/" + publishedReplica + "/fault", "{\"op\":\"read\",\"length\":512}",
                        401, Optional.of(right.replace("Bearer ", ""))),
                new Bad("GET", "/v0/nowhere", null, 401, Optional.empty())));
        Pattern unsafe = Pattern.compile("[\\x00-\\x1f\\x7f\\u202a-\\u202e\\u2066-\\u2069]");
        List<String> wrong = new ArrayList<>();
        for (Bad b : corpus) {
            Res r = rest.call(b.method(), b.path(), b.body(), b.authorization());
            String what = b.method() + " " + cut(b.path()) + " " + cut(b.body()) + " -> " + r.status() + " " + cut(
                    r.text());
            boolean statusOk = b.status() == 0 ? r.status() >= 400 && r.status() < 500 : r.status() == b.status();
            if (!statusOk) {
                wrong.add("expected " + (b.status() == 0 ? "4xx" : b.status()) + ": " + what);
            } else if (!r.contentType().startsWith("application/json") || r.body().path("message").asText().isEmpty()
                    || r.body().path("kind").asText().isEmpty()) {
                wrong.add("no JSON kind and message: " + what);
            } else if (unsafe.matcher(r.body().get("message").asText()).find()) {
                wrong.add("the message repeats a control or bidi character: " + what);
            }
        }
        assertTrue(wrong.isEmpty(), wrong.size() + " of " + corpus.size() + " answered wrongly:\n"
                + String.join("\n", wrong));
        // Nothing may have changed: not at once, and not a moment later once any stray effect reached the tables.
        assertEquals(before, inventory());
        sleep(1_500);
        assertEquals(before, inventory());
    }

    @Test
    @Order(2)
    void everyDocumentedStatusIsAnsweredAndNoOther() {
        Map<String, Set<Integer>> documented = documented();
        Map<String, Set<Integer>> answered = new TreeMap<>();
        Script s = new Script(documented, answered);
        String vol = "/v0/volumes/" + published;
        String missing = UUID.randomUUID().toString();
        String nexus = "/v0/nexuses/{id}";

        s.expect("GET", "/v0/health", "/v0/health", null, 200, Optional.empty());
        // Every guarded operation refuses a request without a token and one with a wrong token, whatever it holds.
        documented.keySet().stream().filter(op -> !op.equals("GET /v0/health")).forEach(op -> {
            String method = op.substring(0, op.indexOf(' '));
            String template = op.substring(op.indexOf(' ') + 1);
            String path = template.replace("{node}", "node-a").replace("{pool}", "pool-a")
                    .replace("{id}", published).replace("{replica}", publishedReplica).replace("{n}", "1")
                    .replace("{bytes_per_second}", "0");
            String body = method.equals("PUT") ? "{\"size\":" + MIB + ",\"replicas\":1}" : null;
            s.expect(method, template, path, body, 401, Optional.empty());
            s.expect(method, template, path, body, 401, Optional.of("Bearer " + UUID.randomUUID()));
        });
        s.expect("GET", "/v0/api-spec", "/v0/api-spec", null, 200);
        s.expect("GET", "/v0/nodes", "/v0/nodes", null, 200);
        s.expect("GET", "/v0/nodes/{node}", "/v0/nodes/node-a", null, 200);
        s.expect("GET", "/v0/nodes/{node}", "/v0/nodes/node_a", null, 400);
        s.expect("GET", "/v0/nodes/{node}", "/v0/nodes/node-x", null, 404);
        s.expect("GET", "/v0/pools", "/v0/pools", null, 200);
        s.expect("GET", "/v0/pools/{pool}", "/v0/pools/pool-a", null, 200);
        s.expect("GET", "/v0/pools/{pool}", "/v0/pools/pool_a", null, 400);
        s.expect("GET", "/v0/pools/{pool}", "/v0/pools/pool-x", null, 404);
        s.expect("GET", POOL_TEMPLATE, "/v0/nodes/node-a/pools/pool-a", null, 200);
        s.expect("GET", POOL_TEMPLATE, "/v0/nodes/node-a/pools/pool_a", null, 400);
        s.expect("GET", POOL_TEMPLATE, "/v0/nodes/node-b/pools/pool-a", null, 404);
        String pool = "{\"disks\":[\"malloc:///extra?size_mb=16\"]}";
        s.expect("PUT", POOL_TEMPLATE, "/v0/nodes/node-b/pools/extra", pool, 200);
        s.expect("PUT", POOL_TEMPLATE, "/v0/nodes/node-b/pools/extra", "{\"disks\":[]}", 400);
        s.expect("PUT", POOL_TEMPLATE, "/v0/nodes/node-x/pools/extra", pool, 404);
        s.expect("PUT", POOL_TEMPLATE, "/v0/nodes/node-b/pools/extra", pool.replace("extra", "other"), 409);
        s.expect("PUT", POOL_TEMPLATE, "/v0/nodes/node-b/pools/bad", "{\"disks\":[\"/dev/nonexistent\"]}", 422);
        s.expect("PUT", POOL_TEMPLATE, "/v0/nodes/node-b/pools/bad", "{\"disks\":[\"/etc/passwd\"]}", 403);
        s.expect("DELETE", POOL_TEMPLATE, "/v0/nodes/node-b/pools/extra", null, 204);
        s.expect("DELETE", POOL_TEMPLATE, "/v0/nodes/node-b/pools/Extra", null, 400);
        s.expect("DELETE", POOL_TEMPLATE, "/v0/nodes/node-b/pools/extra", null, 404);
        s.expect("DELETE", POOL_TEMPLATE, "/v0/nodes/node-a/pools/pool-a", null, 409);

        s.expect("GET", "/v0/replicas", "/v0/replicas", null, 200);
        s.expect("GET", "/v0/replicas/{id}", "/v0/replicas/" + publishedReplica, null, 200);
        s.expect("GET", "/v0/replicas/{id}", "/v0/replicas/x", null, 400);
        s.expect("GET", "/v0/replicas/{id}", "/v0/replicas/" + missing, null, 404);
        s.expect("GET", "/v0/nexuses", "/v0/nexuses", null, 200);
        s.expect("GET", nexus, "/v0/nexuses/" + published, null, 200);
        s.expect("GET", nexus, "/v0/nexuses/x", null, 400);
        s.expect("GET", nexus, "/v0/nexuses/" + missing, null, 404);
        s.expect("GET", "/v0/volumes", "/v0/volumes", null, 200);
        s.expect("GET", "/v0/volumes/{id}", vol, null, 200);
        s.expect("GET", "/v0/volumes/{id}", "/v0/volumes/x", null, 400);
        s.expect("GET", "/v0/volumes/{id}", "/v0/volumes/" + missing, null, 404);

        String other = UUID.randomUUID().toString();
        String spec = "{\"size\":" + MIB + ",\"replicas\":1,\"thin\":true}";
        s.expect("PUT", "/v0/volumes/{id}", "/v0/volumes/" + other, spec, 200);
        s.expect("PUT", "/v0/volumes/{id}", "/v0/volumes/" + other, "{\"size\":1000,\"replicas\":1}", 400);
        s.expect("PUT", "/v0/volumes/{id}", "/v0/volumes/" + other, spec.replace("true", "false"), 409);
        s.expect("PUT", "/v0/volumes/{id}", "/v0/volumes/" + missing, "{\"size\":" + MIB + ",\"replicas\":5}",
                422);
        String count = "/v0/volumes/{id}/replica_count/{n}";
        s.expect("PUT", count, "/v0/volumes/" + other + "/replica_count/2", null, 200);
        s.expect("PUT", count, "/v0/volumes/" + other + "/replica_count/x", null, 400);
        s.expect("PUT", count, "/v0/volumes/" + missing + "/replica_count/2", null, 404);
        s.expect("PUT", count, "/v0/volumes/" + other + "/replica_count/5", null, 422);
        String target = "/v0/volumes/{id}/target";
        ENGINES.get("node-b").tell(new FakeIoEngine.Refuse(true));
        s.expect("PUT", target, "/v0/volumes/" + other + "/target?protocol=nbd&node=node-b", null, 422);
        ENGINES.get("node-b").tell(new FakeIoEngine.Refuse(false));
        s.expect("PUT", target, "/v0/volumes/" + other + "/target?protocol=nbd&node=node-b", null, 200);
        s.expect("PUT", target, "/v0/volumes/" + other + "/target?protocol=iscsi", null, 400);
        s.expect("PUT", target, "/v0/volumes/" + missing + "/target?protocol=nbd", null, 404);
        s.expect("PUT", target, "/v0/volumes/" + other + "/target?protocol=nbd&node=node-a", null, 409);
        String stats = "/v0/volumes/{id}/stats";
        s.expect("GET", stats, "/v0/volumes/" + other + "/stats", null, 200);
        s.expect("GET", stats, "/v0/volumes/x/stats", null, 400);
        s.expect("GET", stats, "/v0/volumes/" + missing + "/stats", null, 404);
        String fault = "/v0/volumes/{id}/children/{replica}/fault";
        String otherReplica = rest.get("/v0/volumes/" + other).body().get("replicas").get(0).asText();
        String faultPath = "/v0/volumes/" + other + "/children/" + otherReplica + "/fault";
        s.expect("PUT", fault, faultPath, "{\"op\":\"read\",\"offset\":0,\"length\":512,\"count\":1}", 200);
        s.expect("PUT", fault, faultPath, "{\"op\":\"read\"}", 400);
        s.expect("PUT", fault, "/v0/volumes/" + missing + "/children/" + otherReplica + "/fault",
                "{\"op\":\"read\",\"length\":512}", 404);
        s.expect("PUT", fault, "/v0/volumes/" + other + "/children/" + missing + "/fault",
                "{\"op\":\"read\",\"length\":512}", 404);
        s.expect("DELETE", fault, faultPath, null, 200);
        s.expect("DELETE", fault, "/v0/volumes/x/children/" + otherReplica + "/fault", null, 400);
        s.expect("DELETE", fault, "/v0/volumes/" + missing + "/children/" + otherReplica + "/fault", null, 404);
        s.expect("DELETE", fault, "/v0/volumes/" + other + "/children/" + missing + "/fault", null, 404);
        String rate = "/v0/volumes/{id}/rebuild_rate/{bytes_per_second}";
        s.expect("PUT", rate, "/v0/volumes/" + other + "/rebuild_rate/" + (64 * MIB), null, 200);
        assertEquals(64 * MIB, rest.put("/v0/volumes/" + other + "/rebuild_rate/" + (64 * MIB), null).body()
                .path("rebuild_bytes_per_second").asLong(), "the answer shows the nexus's new rebuild rate");
        s.expect("PUT", rate, "/v0/volumes/" + other + "/rebuild_rate/1000", null, 400);
        s.expect("PUT", rate, "/v0/volumes/" + missing + "/rebuild_rate/0", null, 404);
        // An io-engine that refuses (node-b runs the nexus): a 422 with its words.
        ENGINES.get("node-b").tell(new FakeIoEngine.Refuse(true));
        s.expect("GET", stats, "/v0/volumes/" + other + "/stats", null, 422);
        s.expect("PUT", fault, faultPath, "{\"op\":\"read\",\"length\":512}", 422);
        s.expect("DELETE", fault, faultPath, null, 422);
        ENGINES.get("node-b").tell(new FakeIoEngine.Refuse(false));
        s.expect("DELETE", target, "/v0/volumes/" + other + "/target", null, 200);
        s.expect("DELETE", target, "/v0/volumes/x/target", null, 400);
        s.expect("DELETE", target, "/v0/volumes/" + missing + "/target", null, 404);
        s.expect("GET", stats, "/v0/volumes/" + other + "/stats", null, 409);
        s.expect("PUT", rate, "/v0/volumes/" + other + "/rebuild_rate/0", null, 422);
        s.expect("DELETE", "/v0/volumes/{id}", "/v0/volumes/" + other, null, 204);
        s.expect("DELETE", "/v0/volumes/{id}", "/v0/volumes/" + other, null, 204);
        s.expect("DELETE", "/v0/volumes/{id}", "/v0/volumes/x", null, 400);
        s.expect("DELETE", "/v0/volumes/{id}", "/v0/volumes/" + missing, null, 404);

        // A hung io-engine (node-m): it stays Online, and whatever needs its answer is a 503 after the timeout.
        String onM = UUID.randomUUID().toString();
        s.expect("PUT", "/v0/volumes/{id}", "/v0/volumes/" + onM, "{\"size\":" + MIB + ",\"replicas\":1,"
                + "\"topology\":{\"node_labels\":{\"zone\":\"node-m\"}}}", 200);
        ENGINES.get("node-m").tell(new FakeIoEngine.Mute(true));
        s.expect("PUT", "/v0/volumes/{id}", "/v0/volumes/" + UUID.randomUUID(), "{\"size\":" + MIB + ",\"replicas\":1,"
                + "\"topology\":{\"node_labels\":{\"zone\":\"node-m\"}}}", 503);
        s.expect("PUT", target, "/v0/volumes/" + onM + "/target?protocol=nbd&node=node-m", null, 503);
        ENGINES.get("node-m").tell(new FakeIoEngine.Mute(false));

        // An io-engine gone (node-z): what needs it is a 503.
        String onZ = UUID.randomUUID().toString();
        s.expect("PUT", "/v0/volumes/{id}", "/v0/volumes/" + onZ, "{\"size\":" + MIB + ",\"replicas\":1,"
                + "\"topology\":{\"node_labels\":{\"zone\":\"node-z\"}}}", 200);
        String zReplica = rest.get("/v0/volumes/" + onZ).body().get("replicas").get(0).asText();
        s.expect("PUT", target, "/v0/volumes/" + onZ + "/target?protocol=nbd&node=node-z", null, 200);
        s.expect("PUT", POOL_TEMPLATE, "/v0/nodes/node-z/pools/empty", "{\"disks\":[\"malloc:///e?size_mb=8\"]}", 200);
        ENGINES.get("node-z").tell(new FakeIoEngine.Stop());
        TestRest.await(() -> "Offline".equals(rest.get("/v0/nodes/node-z").body().path("status").asText()),
                "node-z offline");
        String zFault = "/v0/volumes/" + onZ + "/children/" + zReplica + "/fault";
        s.expect("GET", stats, "/v0/volumes/" + onZ + "/stats", null, 503);
        s.expect("PUT", fault, zFault, "{\"op\":\"read\",\"length\":512}", 503);
        s.expect("DELETE", fault, zFault, null, 503);
        s.expect("PUT", rate, "/v0/volumes/" + onZ + "/rebuild_rate/0", null, 503);
        s.expect("PUT", POOL_TEMPLATE, "/v0/nodes/node-z/pools/new", "{\"disks\":[\"malloc:///n?size_mb=8\"]}", 503);
        s.expect("DELETE", POOL_TEMPLATE, "/v0/nodes/node-z/pools/empty", null, 503);
        s.expect("DELETE", target, "/v0/volumes/" + onZ + "/target", null, 503);
        s.expect("DELETE", "/v0/volumes/{id}", "/v0/volumes/" + onZ, null, 503);

        s.assertAll();
    }

    /** Runs requests, checks each status, and keeps which status each documented operation was seen to answer. */
    private static final class Script {
        private final Map<String, Set<Integer>> documented;
        private final Map<String, Set<Integer>> answered;
        private final List<String> wrong = new ArrayList<>();

        Script(Map<String, Set<Integer>> documented, Map<String, Set<Integer>> answered) {
            this.documented = documented;
            this.answered = answered;
        }

        void expect(String method, String template, String path, String body, int status) {
            expect(method, template, path, body, status, TestRest.authorization(control));
        }

        void expect(String method, String template, String path, String body, int status,
                    Optional<String> authorization) {
            String op = method + " " + template;
            Res r = rest.call(method, path, body, authorization);
            answered.computeIfAbsent(op, k -> new TreeSet<>()).add(r.status());
            if (!documented.getOrDefault(op, Set.of()).contains(r.status())) {
                wrong.add(op + " answered " + r.status() + ", which the document does not list (" + path + ": "
                        + cut(r.text()) + ")");
            } else if (r.status() != status) {
                wrong.add(op + " answered " + r.status() + ", expected " + status + " (" + path + ": " + cut(r.text())
                        + ")");
            } else if (status >= 400 && r.body().path("message").asText().isEmpty()) {
                wrong.add(op + " answered " + status + " without a JSON message");
            }
        }

        void assertAll() {
            documented.forEach((op, statuses) -> {
                Set<Integer> unseen = new TreeSet<>(statuses);
                unseen.removeAll(answered.getOrDefault(op, Set.of()));
                if (!unseen.isEmpty()) {
                    wrong.add(op + " is documented to answer " + unseen + " but never did here");
                }
            });
            if (!wrong.isEmpty()) {
                fail(String.join("\n", wrong));
            }
        }
    }

    /** "METHOD /path/{param}" to its documented statuses, from the document the API serves. */
    @SuppressWarnings("unchecked")
    private static Map<String, Set<Integer>> documented() {
        String text;
        try (InputStream in = ControlPlane.class.getResourceAsStream("/openapi.yaml")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        assertEquals(text, rest.get("/v0/api-spec").text(), "the API serves the document checked here");
        Map<String, Object> doc = (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(text);
        Map<String, Set<Integer>> out = new TreeMap<>();
        ((Map<String, Map<String, Object>>) doc.get("paths")).forEach((path, item) -> {
            if (path.startsWith("/v0/events")) {
                return;
            }
            item.forEach((method, op) -> {
                if (op instanceof Map<?, ?> m && m.get("responses") instanceof Map<?, ?> responses) {
                    Set<Integer> statuses = new TreeSet<>();
                    responses.keySet().forEach(k -> statuses.add(Integer.parseInt(k.toString())));
                    out.put(method.toUpperCase(java.util.Locale.ROOT) + " " + path, statuses);
                }
            });
        });
        return out;
    }

    /** Every listing, each sorted, as one string: equal strings are equal inventories. */
    private static String inventory() {
        StringBuilder b = new StringBuilder();
        for (String what : List.of("nodes", "pools", "replicas", "nexuses", "volumes")) {
            Res r = rest.get("/v0/" + what);
            assertEquals(200, r.status(), r.text());
            List<String> rows = new ArrayList<>();
            r.body().forEach(n -> rows.add(n.toString()));
            rows.sort(null);
            b.append(what).append(' ').append(rows).append('\n');
        }
        return b.toString();
    }

    private static JsonNode ok(Res r) {
        assertEquals(200, r.status(), r.text());
        return r.body();
    }

    private static String cut(String s) {
        return s == null ? "" : s.length() > 1000 ? s.substring(0, 1000) + "..." : s;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
