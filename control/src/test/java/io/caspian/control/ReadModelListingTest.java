package io.caspian.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.caspian.control.TestRest.Res;
import io.caspian.control.journal.JournalSettings;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.typed.Props;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listings read the read model (a projection of the journal), not the entities, and still show a client the effect
 * of the command it was just answered: the control plane for real (H2 journal, REST) against fake io-engines.
 */
class ReadModelListingTest {
    private static final String SPEC = "{\"size\":" + (4 << 20) + ",\"replicas\":2,\"thin\":true}";

    @TempDir
    static Path dataDir;
    private static ControlPlane control;
    private static TestRest rest;

    @BeforeAll
    static void start() {
        control = ControlPlane.start(ConfigFactory.parseMap(Map.of(
                "pekko.cluster.roles", List.of("control", "io-engine"),
                "pekko.remote.artery.canonical.hostname", "127.0.0.1",
                "pekko.remote.artery.canonical.port", 0,
                "pekko.loglevel", "WARNING",
                "caspian.data-dir", dataDir.toString(),
                "caspian.control.rest.port", 0,
                "caspian.control.volatile-pools-for-all", true,
                "caspian.control.io-engine-timeout", "3s")));
        rest = new TestRest(control);
        Set<String> destroyed = java.util.concurrent.ConcurrentHashMap.newKeySet();
        for (String n : List.of("a", "b")) {
            control.system().systemActorOf(FakeIoEngine.create("node-" + n, "127.0.0.1:4420", destroyed),
                    "fake-node-" + n, Props.empty());
        }
        TestRest.await(() -> call("GET", "/v0/nodes", null).body().size() == 2, "two nodes registered");
        for (String n : List.of("a", "b")) {
            Res r = call("PUT", "/v0/nodes/node-" + n + "/pools/pool-" + n,
                    "{\"disks\":[\"malloc:///pool-" + n + "?size_mb=64\"]}");
            assertEquals(200, r.status(), r.body().toString());
        }
    }

    @AfterAll
    static void stop() {
        if (control != null) {
            control.close();
        }
    }

    @Test
    void aListingRightAfterACommandShowsItsEffect() {
        for (int i = 0; i < 3; i++) {
            String id = UUID.randomUUID().toString();
            Res created = call("PUT", "/v0/volumes/" + id, SPEC);
            assertEquals(200, created.status(), created.body().toString());
            JsonNode listed = find(call("GET", "/v0/volumes", null), id);
            assertTrue(listed != null, "volume " + id + " listed right after its creation");
            assertEquals(created.body().get("spec"), listed.get("spec"));
            assertEquals(created.body().get("replicas"), listed.get("replicas"));
            for (JsonNode replica : created.body().get("replicas")) {
                assertTrue(find(call("GET", "/v0/replicas", null), replica.asText()) != null,
                        "replica " + replica + " listed right after its volume's creation");
            }

            assertEquals(204, call("DELETE", "/v0/volumes/" + id, null).status());
            assertEquals(null, find(call("GET", "/v0/volumes", null), id),
                    "volume " + id + " not listed right after its deletion");
            for (JsonNode replica : created.body().get("replicas")) {
                assertEquals(null, find(call("GET", "/v0/replicas", null), replica.asText()),
                        "replica " + replica + " not listed right after its volume's deletion");
            }
        }
        List<String> pools = new ArrayList<>();
        call("GET", "/v0/pools", null).body().forEach(p -> pools.add(p.get("id").asText()));
        assertEquals(List.of("pool-a", "pool-b"), pools);
    }

    @Test
    void listingsReadTheTablesWhileOneObjectComesFromItsEntity() throws Exception {
        String id = UUID.randomUUID().toString();
        assertEquals(200, call("PUT", "/v0/volumes/" + id, SPEC).status());
        assertTrue(find(call("GET", "/v0/volumes", null), id) != null);
        // Take the row away behind the projection's back: the listing loses the volume, the entity still has it.
        JournalSettings journal = JournalSettings.h2(dataDir);
        try (Connection c = DriverManager.getConnection(journal.url(), journal.user(), journal.password());
             PreparedStatement s = c.prepareStatement(
                     "DELETE FROM read_model_entities WHERE entity_type = 'volume' AND entity_id = ?")) {
            s.setString(1, id);
            assertEquals(1, s.executeUpdate());
        }
        assertEquals(null, find(call("GET", "/v0/volumes", null), id));
        Res one = call("GET", "/v0/volumes/" + id, null);
        assertEquals(200, one.status());
        assertEquals(id, one.body().get("uuid").asText());
    }

    private static JsonNode find(Res listing, String id) {
        assertEquals(200, listing.status(), listing.body().toString());
        for (JsonNode n : listing.body()) {
            // Volumes and replicas are named by "uuid", the others by "id".
            JsonNode name = n.has("uuid") ? n.get("uuid") : n.get("id");
            if (name.asText().equals(id)) {
                return n;
            }
        }
        return null;
    }

    private static Res call(String method, String path, String body) {
        return rest.call(method, path, body);
    }
}
