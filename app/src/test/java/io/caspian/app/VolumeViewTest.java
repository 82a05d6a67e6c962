package io.caspian.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Rendering of {@code get volume <id>} and parsing of the fault and Kafka flags, without a control plane. */
class VolumeViewTest {
    private static final JsonNode VOLUME = Cli.parseJson("""
            {"uuid": "v1", "spec": {"size": 8388608, "replicas": 3, "thin": true}, "status": "Degraded",
             "reason": "replica aaaa1111 is faulted: replacing it",
             "replicas": ["aaaa1111-0000", "bbbb2222-0000", "bbbb3333-0000"],
             "target": {"node": "node-1", "protocol": "nbd", "device_uri": "nbd://127.0.0.1:10809/v1"}}""");
    private static final JsonNode NEXUS = Cli.parseJson("""
            {"uuid": "v1", "node": "node-1", "status": "Degraded", "children": [
             {"uri": "nvmf://a", "replica": "aaaa1111-0000", "state": "Faulted", "reason": "io errors",
              "rebuild_progress": -1},
             {"uri": "nvmf://b", "replica": "bbbb2222-0000", "state": "Online", "rebuild_progress": -1},
             {"uri": "nvmf://c", "replica": "cccc4444-0000", "state": "Degraded", "rebuild_progress": 47}]}""");

    @Test
    void statsLineShowsRatesElseCountersElseNothing() {
        assertEquals("stats: read 12.5 IOPS 0.05 MB/s, write 3.0 IOPS 1.50 MB/s (nexus on node-1)\n", stats("""
                {"volume": "v1", "node": "node-1", "read_ops": 100, "write_ops": 7, "bytes_read": 409600,
                 "bytes_written": 28672, "read_iops": 12.5, "write_iops": 3.0, "read_bps": 52428.8,
                 "write_bps": 1572864.0}"""));
        assertEquals("stats: 100 reads (400KiB), 7 writes (28KiB) so far (nexus on node-1)\n", stats("""
                {"volume": "v1", "node": "node-1", "read_ops": 100, "write_ops": 7, "bytes_read": 409600,
                 "bytes_written": 28672, "read_iops": null, "write_iops": null, "read_bps": null,
                 "write_bps": null}"""));
        assertEquals("", stats(null));
    }

    private static String stats(String json) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        VolumeView.stats(new PrintStream(b, true, StandardCharsets.UTF_8), json == null ? null : Cli.parseJson(json));
        return b.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n");
    }

    @Test
    void progressBar() {
        assertEquals("[#########...........] 47%", VolumeView.progress(47));
        assertEquals("[....................] 0%", VolumeView.progress(0));
        assertEquals("[####################] 100%", VolumeView.progress(100));
        assertEquals("", VolumeView.progress(-1));
    }

    @Test
    void childrenShowReasonStatesAndRebuild() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        VolumeView.children(new PrintStream(b, true, StandardCharsets.UTF_8), VOLUME, NEXUS);
        String text = b.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("reason: replica aaaa1111 is faulted: replacing it"), text);
        List<String> lines = text.lines().toList();
        assertTrue(lines.stream().anyMatch(l -> l.contains("aaaa1111-0000") && l.contains("Faulted")
                && l.contains("io errors")), text);
        assertTrue(lines.stream().anyMatch(l -> l.contains("cccc4444-0000") && l.contains("Degraded")
                && l.contains("[#########...........] 47%")), text);

        b.reset();
        VolumeView.children(new PrintStream(b, true, StandardCharsets.UTF_8), Cli.parseJson(
                "{\"uuid\": \"v2\", \"reason\": null, \"replicas\": []}"), null);
        assertEquals("reason: -\nchildren: - (not published)\n", b.toString(StandardCharsets.UTF_8)
                .replace(System.lineSeparator(), "\n"));
    }

    @Test
    void replicaByUuidOrUniquePrefix() {
        assertEquals("aaaa1111-0000", VolumeView.replica(VOLUME, "aaaa1111-0000"));
        assertEquals("aaaa1111-0000", VolumeView.replica(VOLUME, "aa"));
        UsageException ambiguous = assertThrows(UsageException.class, () -> VolumeView.replica(VOLUME, "bbbb"));
        assertTrue(ambiguous.getMessage().contains("more than one"), ambiguous.getMessage());
        UsageException none = assertThrows(UsageException.class, () -> VolumeView.replica(VOLUME, "zz"));
        assertTrue(none.getMessage().contains("no replica 'zz'"), none.getMessage());
    }

    private static Flags faultFlags(String... args) {
        return Flags.parse(List.of(args), Set.of("op", "offset", "length", "count"), Set.of());
    }

    @Test
    void faultBodyDefaultsToTheRestOfTheVolumeUntilCleared() {
        JsonNode b = Cli.faultBody(faultFlags("--op", "write"), 8 << 20);
        assertEquals("write", b.path("op").asText());
        assertEquals(0, b.path("offset").asLong());
        assertEquals(8 << 20, b.path("length").asLong());
        assertTrue(b.path("count").isMissingNode(), b.toString());

        b = Cli.faultBody(faultFlags("--op", "read", "--offset", "1MiB", "--length", "64KiB", "--count", "5"), 8 << 20);
        assertEquals(1 << 20, b.path("offset").asLong());
        assertEquals(64 << 10, b.path("length").asLong());
        assertEquals(5, b.path("count").asInt());
    }

    @Test
    void badFaultFlagsAreUsageErrors() {
        assertThrows(UsageException.class, () -> Cli.faultBody(faultFlags(), 1 << 20));
        UsageException op = assertThrows(UsageException.class, () -> Cli.faultBody(faultFlags("--op", "erase"), 1 << 20));
        assertTrue(op.getMessage().contains("erase"), op.getMessage());
        assertThrows(UsageException.class, () -> Cli.faultBody(faultFlags("--op", "write", "--offset", "2MiB"), 1 << 20));
        assertThrows(UsageException.class, () -> Cli.faultBody(faultFlags("--op", "write", "--count", "0"), 1 << 20));
    }

    @Test
    void durations() {
        assertEquals(Duration.ofSeconds(30), Durations.parse("x", "30s"));
        assertEquals(Duration.ofSeconds(7), Durations.parse("x", "7"));
        assertEquals(Duration.ofMillis(500), Durations.parse("x", "500ms"));
        assertEquals(Duration.ofMinutes(2), Durations.parse("x", "2m"));
        assertThrows(UsageException.class, () -> Durations.parse("x", "soon"));
        assertThrows(UsageException.class, () -> Durations.parse("x", "3d"));
    }

    @Test
    void kafkaFlag() {
        Set<String> valued = Set.of("kafka");
        assertEquals("h1:9092,127.0.0.1:9093", RoleConfig.kafka(Flags.parse(List.of("--kafka", "h1:9092, 127.0.0.1:9093"),
                valued, Set.of())).orElseThrow());
        assertEquals("", RoleConfig.kafka(Flags.parse(List.of("--kafka=off"), valued, Set.of())).orElseThrow());
        assertTrue(RoleConfig.kafka(Flags.parse(List.of(), valued, Set.of())).isEmpty());
        assertThrows(UsageException.class, () -> RoleConfig.kafka(Flags.parse(List.of("--kafka", "nohost"), valued,
                Set.of())));
    }

    @Test
    void roleConfigCarriesKafkaAndWaitToBothRoles() {
        var config = RoleConfig.build(Flags.parse(List.of("--kafka", "127.0.0.1:9092", "--faulted-child-wait", "5s"),
                RoleConfig.union(RoleConfig.COMMON, RoleConfig.CONTROL), Set.of()), List.of("control"));
        assertEquals("127.0.0.1:9092", config.getString("caspian.control.bus.bootstrap-servers"));
        assertEquals("127.0.0.1:9092", IoEngineOptions.fromConfig(config).kafka());
        assertEquals(Duration.ofSeconds(5), config.getDuration("caspian.control.faulted-child-wait"));
    }
}
