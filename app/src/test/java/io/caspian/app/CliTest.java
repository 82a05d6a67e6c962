package io.caspian.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CliTest {
    private static final Set<String> VALUED = Set.of("size", "replicas", "node-label", "pool-label");

    @Test
    void volumeBodyCarriesTheTopologyFlags() {
        JsonNode b = Cli.volumeBody(Flags.parse(List.of("--size", "64MiB", "--replicas", "3", "--thin",
                "--node-label", "zone=a", "--node-label", "rack=2", "--pool-label", "media=ssd"), VALUED,
                Set.of("thin")));
        assertEquals(64L << 20, b.path("size").asLong());
        assertEquals(3, b.path("replicas").asInt());
        assertTrue(b.path("thin").asBoolean());
        assertEquals("a", b.path("topology").path("node_labels").path("zone").asText());
        assertEquals("2", b.path("topology").path("node_labels").path("rack").asText());
        assertEquals("ssd", b.path("topology").path("pool_labels").path("media").asText());
        assertEquals(0, b.path("topology").path("pool_labels").path("zone").size());
    }

    @Test
    void volumeBodyWithoutLabelsHasNoTopology() {
        JsonNode b = Cli.volumeBody(Flags.parse(List.of("--size", "8MiB"), VALUED, Set.of()));
        assertFalse(b.has("topology"));
        assertEquals(1, b.path("replicas").asInt());
    }

    @Test
    void badLabelsAndMisplacedQuietAreUsageErrors() {
        assertEquals(2, run("create", "volume", "--size", "8MiB", "--node-label", "zone"));
        assertEquals(2, run("get", "volumes", "-q"));
        assertEquals(2, run("create", "volume", "--size", "8MiB", "-q", "-o", "json"));
    }

    @Test
    void topTakesOnlyItsFlags() {
        assertEquals(2, run("top", "volumes"));
        assertEquals(2, run("top", "--iterations", "0"));
        assertEquals(2, run("top", "--timeout", "soon"));
        assertEquals(2, run("top", "-o", "json"));
    }

    /** Runs the command against an API nothing listens on: a usage error must be found before any request. */
    private static int run(String... args) {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(sink, true, StandardCharsets.UTF_8);
        String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
                java.util.stream.Stream.of("--api", "http://127.0.0.1:9")).toArray(String[]::new);
        return Main.run(all, ps, ps);
    }
}
