package io.caspian.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code caspian up} in this JVM, driven by the CLI verbs exactly as a user types them; then {@code up} again on the
 * same data directory, which must re-import the pools and keep the volume.
 */
class MainTest {
    @TempDir
    Path dataDir;

    private record Run(int code, String out, String err) {
    }

    private static Run main(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The CLI against {@code api} with the token {@code up} made in this test's data directory. */
    private Run cli(String api, String... args) {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        a.addAll(List.of("--api", api, "--token-file", dataDir.resolve("rest-token").toString()));
        return main(a.toArray(String[]::new));
    }

    @Test
    void badCommandLinesExitWith2() {
        assertEquals(2, main().code());
        assertEquals(2, main("frobnicate").code());
        Run r = main("get", "volumes", "--bogus");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--bogus"), r.err());
        assertEquals(2, main("create", "volume", "--size", "ten").code());
        assertEquals(2, main("io-engine", "--node-id", "x").code(), "io-engine without --seed");
        assertEquals(2, main("control", "--journal", "oracle").code());
        assertEquals(2, main("control", "--kafka", "nohost").code());
        assertEquals(2, main("fault", "inject", "v1").code());
        assertEquals(2, main("set", "volume", "v1").code(), "set without --rebuild-rate");
        assertEquals(2, main("set", "volume", "v1", "--rebuild-rate", "fast").code());
        assertEquals(2, main("get", "volumes", "--watch").code(), "--watch needs one volume");
    }

    /**
     * A disk holding data is refused, named and left as it was; {@code --overwrite} formats it. Outside the
     * io-engine's data directory (its default disk allow list) even {@code --overwrite} is refused, creating nothing.
     */
    private void createPoolNeedsOverwriteForADiskWithData(String api, String node) throws Exception {
        Path outside = dataDir.resolveSibling(dataDir.getFileName() + "-outside.img");
        Run denied = cli(api, "create", "pool", "outside", "--node", node, "--disk", "file://" + outside
                + "?size_mb=64", "--overwrite");
        assertEquals(1, denied.code(), denied.out());
        assertTrue(denied.err().contains("allow list"), denied.err());
        assertTrue(!java.nio.file.Files.exists(outside), "a refused create made " + outside);
        Path disk = dataDir.resolve(node).resolve("dirty.img");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(64 << 20);
            f.seek(8192);
            f.write("someone's data".getBytes(StandardCharsets.UTF_8));
        }
        try {
            byte[] before = java.nio.file.Files.readAllBytes(disk);
            Run refused = cli(api, "create", "pool", "dirty", "--node", node, "--disk", "file://" + disk);
            assertEquals(1, refused.code(), refused.out());
            assertTrue(refused.err().contains("--overwrite"), refused.err());
            assertTrue(Arrays.equals(before, java.nio.file.Files.readAllBytes(disk)), "a refused create wrote");
            Run formatted = cli(api, "create", "pool", "dirty", "--node", node, "--disk", "file://" + disk,
                    "--overwrite");
            assertEquals(0, formatted.code(), formatted.err());
            assertEquals(0, cli(api, "delete", "pool", "dirty").code());
        } finally {
            java.nio.file.Files.deleteIfExists(disk);
        }
    }

    @Test
    void unreachableApiExitsWith1AndSaysWhere() throws IOException {
        Run r = main("get", "nodes", "--api", "http://127.0.0.1:" + freePort());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("cannot reach the control plane"), r.err());
    }

    @Test
    void upThenCliThenUpAgain() throws Exception {
        int nbd = freePort();
        int nvmf = freePort();
        List<String> flags = List.of("--data-dir", dataDir.toString(), "--rest", "127.0.0.1:0",
                "--io-engines", "3", "--pool-size-mb", "64", "--nbd-port", String.valueOf(nbd),
                "--nvmf-port", String.valueOf(nvmf));
        String volume;
        try (Up.Running up = Up.start(Flags.parse(flags, Up.FLAGS, Set.of()))) {
            String api = up.api();
            Run nodes = cli(api, "get", "nodes");
            assertEquals(0, nodes.code(), nodes.err());
            Run anonymous = main("get", "nodes", "--api", api);
            assertEquals(1, anonymous.code(), anonymous.out());
            assertTrue(anonymous.err().contains("UNAUTHENTICATED") && anonymous.err().contains("no token was found")
                    && anonymous.err().contains("$CASPIAN_TOKEN"), anonymous.err());
            Path wrong = dataDir.resolveSibling(dataDir.getFileName() + "-wrong-token");
            java.nio.file.Files.writeString(wrong, "not-the-token\n");
            Run refused = main("get", "nodes", "--api", api, "--token-file", wrong.toString());
            assertEquals(1, refused.code(), refused.out());
            assertTrue(refused.err().contains("the token from " + wrong + " is not one it accepts"), refused.err());
            assertTrue(nodes.out().startsWith("ID"), nodes.out());
            assertEquals(4, nodes.out().lines().count(), nodes.out());
            Run pools = cli(api, "get", "pools", "-o", "json");
            assertEquals(3, Cli.parseJson(pools.out()).size(), pools.out());
            createPoolNeedsOverwriteForADiskWithData(api, Cli.parseJson(pools.out()).get(0).path("node").asText());

            Run created = cli(api, "create", "volume", "--size", "8MiB", "--replicas", "3", "--thin", "-o", "json");
            assertEquals(0, created.code(), created.err());
            volume = Cli.parseJson(created.out()).path("uuid").asText();
            Run published = cli(api, "publish", "volume", volume, "--protocol", "nbd");
            assertEquals(0, published.code(), published.err());
            assertTrue(published.out().contains("device: nbd://127.0.0.1:"), published.out());
            assertTrue(up.kafka().startsWith("127.0.0.1:") && up.broker() != null, up.kafka());

            // an NVMe/TCP target for named hosts only; --host needs nvmf (checked before any request)
            String h1 = "nqn.2014-08.org.nvmexpress:uuid:11111111-1111-4111-8111-111111111111";
            String h2 = "nqn.2019-05.io.caspian:node:csi-1";
            String named = Cli.parseJson(cli(api, "create", "volume", "--size", "4MiB", "--replicas", "1", "--thin",
                    "-o", "json").out()).path("uuid").asText();
            assertEquals(2, cli(api, "publish", "volume", named, "--protocol", "nbd", "--host", h1).code());
            Run toHosts = cli(api, "publish", "volume", named, "--protocol", "nvmf", "--host", h2, "--host", h1,
                    "-o", "json");
            assertEquals(0, toHosts.code(), toHosts.err());
            assertEquals("[\"" + h1 + "\",\"" + h2 + "\"]",
                    Cli.parseJson(toHosts.out()).path("target").path("hosts").toString(), toHosts.out());
            assertEquals(0, cli(api, "delete", "volume", named).code());

            Run shown = cli(api, "get", "volume", volume);
            assertEquals(0, shown.code(), shown.err());
            assertTrue(shown.out().contains("reason: -") && shown.out().contains("children (nexus on"), shown.out());
            String replica = Cli.parseJson(cli(api, "get", "volume", volume, "-o", "json").out()).path("replicas")
                    .get(0).asText();
            // one failing write that nothing issues: armed and cleared without touching the volume's health
            Run injected = cli(api, "fault", "inject", volume, replica.substring(0, 8), "--op", "write", "--count", "1");
            assertEquals(0, injected.code(), injected.err());
            assertTrue(injected.out().contains("fault armed on " + replica), injected.out());
            Run cleared = cli(api, "fault", "clear", volume, replica);
            assertEquals(0, cleared.code(), cleared.err());
            // the real nexus takes the cap and reports it back; 0 lifts it
            Run capped = cli(api, "set", "volume", volume, "--rebuild-rate", "64MiB");
            assertEquals(0, capped.code(), capped.err());
            assertTrue(capped.out().contains("capped at 64MiB/s"), capped.out());
            Run uncapped = cli(api, "set", "volume", volume, "--rebuild-rate", "0", "-o", "json");
            assertEquals(0, Cli.parseJson(uncapped.out()).path("rebuild_bytes_per_second").asLong(), uncapped.out());
            Run watched = cli(api, "get", "volume", volume, "--watch", "--timeout", "1s");
            assertEquals(0, watched.code(), watched.err());
            assertTrue(watched.out().lines().filter(l -> l.startsWith("every 1s")).count() >= 2, watched.out());

            // the audit projection runs in `up`: the volume's history comes back, oldest first
            JsonNode history = awaitEvents(api, volume, "VolumePublished");
            assertEquals("VolumeCreated", history.get(0).path("type").asText(), history.toPrettyString());
            Run table = cli(api, "events", "--volume", volume, "--type", "VolumeCreated,VolumePublished");
            assertEquals(0, table.code(), table.err());
            assertTrue(table.out().startsWith("TIME"), table.out());
            assertTrue(table.out().contains("VolumePublished") && table.out().contains("Volume " + volume),
                    table.out());
            Run follow = cli(api, "events", "--volume", volume, "--follow", "--timeout", "1", "-o", "json");
            assertEquals(0, follow.code(), follow.err());
            // --follow starts from the beginning: it prints every event read before, and maybe more (projections of
            // other tags may still be landing older events), so compare as sets, never two counts taken apart.
            java.util.Set<String> followed = new java.util.HashSet<>();
            follow.out().lines().forEach(l -> followed.add(Cli.parseJson(l).path("event_id").asText()));
            for (JsonNode e : history) {
                assertTrue(followed.contains(e.path("event_id").asText()), "--follow printed " + e + ": "
                        + follow.out());
            }
            assertEquals(2, cli(api, "events", "--limit", "zero").code());

            String absent = java.util.UUID.randomUUID().toString();
            Run missing = cli(api, "get", "volume", absent);
            assertEquals(1, missing.code());
            JsonNode error = Cli.parseJson(missing.err());
            assertEquals(404, error.path("status").asInt(), missing.err());
            assertTrue(error.path("message").asText().contains(absent), missing.err());
            Run malformed = cli(api, "get", "volume", "no-such-volume");
            assertEquals(1, malformed.code());
            assertEquals(400, Cli.parseJson(malformed.err()).path("status").asInt(), malformed.err());
        }
        try (Up.Running up = Up.start(Flags.parse(flags, Up.FLAGS, Set.of()))) {
            JsonNode pools = Cli.parseJson(cli(up.api(), "get", "pools", "-o", "json").out());
            assertEquals(3, pools.size());
            for (JsonNode p : pools) {
                assertEquals("Online", p.path("status").asText(), pools.toPrettyString());
            }
            JsonNode v = Cli.parseJson(cli(up.api(), "get", "volume", volume, "-o", "json").out());
            assertEquals(3, v.path("replicas").size(), v.toPrettyString());
        }
    }

    /** The volume's events as {@code events -o json} prints them, once one of type {@code last} is there. */
    private JsonNode awaitEvents(String api, String volume, String last) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            Run r = cli(api, "events", "--volume", volume, "-o", "json");
            assertEquals(0, r.code(), r.err());
            JsonNode events = Cli.parseJson("[" + String.join(",", r.out().lines().toList()) + "]");
            for (JsonNode e : events) {
                if (e.path("type").asText().equals(last)) {
                    return events;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + last + " event for " + volume + " within 30 s: " + events);
            }
            Thread.sleep(200);
        }
    }

    /** A free loopback port (probed: whoever binds it later may lose a race with another process). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
