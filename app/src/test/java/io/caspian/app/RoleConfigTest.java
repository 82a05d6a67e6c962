package io.caspian.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoleConfigTest {
    @TempDir
    Path dir;

    private static Flags flags(String... args) {
        return Flags.parse(List.of(args), RoleConfig.union(RoleConfig.union(RoleConfig.COMMON, RoleConfig.CONTROL),
                RoleConfig.IO_ENGINE), java.util.Set.of());
    }

    @Test
    void flagsWinOverTheConfigFileWhichWinsOverDefaults() throws Exception {
        Path file = dir.resolve("c.conf");
        Files.writeString(file, "caspian.control.rest.port = 9999\ncaspian.io-engine.nbd-port = 7000\n"
                + "caspian.control.snapshot-every = 7\n");
        Config c = RoleConfig.build(flags("--config", file.toString(), "--rest", "127.0.0.1:8181",
                "--seed", "127.0.0.1:2551", "--seed", "127.0.0.1:2552", "--port", "2551", "--label", "zone=a",
                "--journal", "postgres", "--jdbc-url", "jdbc:postgresql://127.0.0.1/x"), List.of("control"));
        assertEquals(8181, c.getInt("caspian.control.rest.port"));
        assertEquals(7000, c.getInt("caspian.io-engine.nbd-port"));
        assertEquals(7, c.getInt("caspian.control.snapshot-every"));
        assertEquals(List.of("pekko://caspian@127.0.0.1:2551", "pekko://caspian@127.0.0.1:2552"),
                c.getStringList("pekko.cluster.seed-nodes"));
        assertEquals(2551, c.getInt("pekko.remote.artery.canonical.port"));
        assertEquals("postgres", c.getString("caspian.journal.kind"));
        assertEquals("a", c.getString("caspian.io-engine.labels.zone"));
        assertEquals(List.of("control"), c.getStringList("pekko.cluster.roles"));
    }

    @Test
    void restAuthenticationFlags() throws Exception {
        Config byDefault = RoleConfig.build(flags(), List.of("control"));
        assertEquals("token", byDefault.getString("caspian.control.rest.auth.mode"));
        assertEquals("", byDefault.getString("caspian.control.rest.auth.token-file"));
        Path tokens = Files.writeString(dir.resolve("tokens"), "t1\n");
        Path store = Files.writeString(dir.resolve("rest.p12"), "");
        Path password = Files.writeString(dir.resolve("password"), "p\n");
        Config c = RoleConfig.build(flags("--token-file", tokens.toString(), "--tls-keystore", store.toString(),
                "--tls-keystore-password-file", password.toString()), List.of("control"));
        assertEquals(tokens.toString(), c.getString("caspian.control.rest.auth.token-file"));
        assertEquals(store.toString(), c.getString("caspian.control.rest.tls.keystore"));
        assertEquals(password.toString(), c.getString("caspian.control.rest.tls.keystore-password-file"));
        assertEquals("none", RoleConfig.build(flags("--auth", "none"), List.of("control"))
                .getString("caspian.control.rest.auth.mode"));
        assertThrows(UsageException.class, () -> RoleConfig.build(flags("--auth", "basic"), List.of("control")));
        assertThrows(UsageException.class, () -> RoleConfig.build(flags("--auth", "none", "--token-file",
                tokens.toString()), List.of("control")));
        assertThrows(UsageException.class, () -> RoleConfig.build(flags("--token-file", dir.resolve("absent")
                .toString()), List.of("control")));
        assertThrows(UsageException.class, () -> RoleConfig.build(flags("--tls-keystore", store.toString()),
                List.of("control")));
        assertTrue(!Up.FLAGS.contains("tls-keystore") && Up.FLAGS.contains("token-file"));
    }

    @Test
    void metricsAreOffUnlessAPortIsGiven() {
        Config off = RoleConfig.build(flags(), List.of("io-engine"));
        assertEquals(0, off.getInt("caspian.metrics.port"));
        assertEquals(null, MetricsEndpoint.fromConfig(off));
        Config on = RoleConfig.build(flags("--metrics-port", "9502"), List.of("io-engine"));
        assertEquals(9502, on.getInt("caspian.metrics.port"));
        assertEquals("0.0.0.0", on.getString("caspian.metrics.host"));
        assertThrows(UsageException.class, () -> RoleConfig.build(flags("--metrics-port", "70000"), List.of("control")));
    }

    @Test
    void ioCountingIsOnUnlessTheFlagOrTheFileTurnsItOff() throws Exception {
        assertEquals(true, IoEngineOptions.fromConfig(RoleConfig.build(flags(), List.of("io-engine"))).metricsIo());
        assertEquals(false, IoEngineOptions.fromConfig(RoleConfig.build(flags("--metrics-io", "false"),
                List.of("io-engine"))).metricsIo());
        Path file = dir.resolve("io.conf");
        Files.writeString(file, "caspian.io-engine.metrics-io = false\n");
        assertEquals(false, IoEngineOptions.fromConfig(RoleConfig.build(flags("--config", file.toString()),
                List.of("io-engine"))).metricsIo());
        assertThrows(UsageException.class, () -> RoleConfig.build(flags("--metrics-io", "no"), List.of("io-engine")));
    }

    @Test
    void ioEngineOptionsDefaultTheNodeIdFromThePort() {
        IoEngineOptions o = IoEngineOptions.fromConfig(RoleConfig.build(flags("--nvmf-port", "4500",
                "--data-dir", dir.toString(), "--disk", "file:///x?size_mb=64"), List.of("io-engine")));
        assertEquals("io-engine-4500", o.nodeId());
        assertEquals(dir.toAbsolutePath(), o.dataDir());
        assertEquals(List.of("file:///x?size_mb=64"), o.disks());
    }

    @Test
    void diskAllowTakesThePlaceOfTheDataDirectoryDefaults() throws Exception {
        IoEngineOptions none = IoEngineOptions.fromConfig(RoleConfig.build(flags("--data-dir", dir.toString()),
                List.of("io-engine")));
        assertEquals(List.of(), none.diskAllow());
        assertEquals(io.caspian.datanode.DiskAllowList.defaults(dir), DataNodes.settings(none).diskAllow());
        IoEngineOptions o = IoEngineOptions.fromConfig(RoleConfig.build(flags("--data-dir", dir.toString(),
                "--disk-allow", "/dev/loop*", "--disk-allow", "/var/tmp/caspian/", "--disk-allow", "malloc:"),
                List.of("io-engine")));
        assertEquals(List.of("/dev/loop*", "/var/tmp/caspian/", "malloc:"), o.diskAllow());
        assertEquals(o.diskAllow(), DataNodes.settings(o).diskAllow());
        Path file = dir.resolve("allow.conf");
        Files.writeString(file, "caspian.io-engine.disk-allow = [\"/srv/disks/*\"]\n");
        assertEquals(List.of("/srv/disks/*"), IoEngineOptions.fromConfig(RoleConfig.build(flags("--config",
                file.toString()), List.of("io-engine"))).diskAllow());
        for (String bad : List.of("relative/*", " ", "/var/../etc/*", "/a/[b")) {
            UsageException e = assertThrows(UsageException.class, () -> IoEngineOptions.fromConfig(RoleConfig.build(
                    flags("--disk-allow", bad, "--data-dir", dir.toString()), List.of("io-engine"))));
            assertTrue(e.getMessage().contains("--disk-allow"), e.getMessage());
        }
    }

    @Test
    void upAddsItsOwnPoolFileToANarrowerAllowList() {
        Path pool = dir.resolve("node-1").resolve("pool-1.img");
        assertEquals(List.of(), Up.diskAllow(List.of(), pool));
        assertEquals(List.of("/dev/loop*", pool.toAbsolutePath().toString()),
                Up.diskAllow(List.of("/dev/loop*"), pool));
    }

    @Test
    void aChildIoTimeoutOutOfRangeIsAUsageError() {
        assertEquals(600_000L, RoleConfig.build(flags("--child-io-timeout", "10m"), List.of("io-engine"))
                .getDuration("caspian.io-engine.child-io-timeout").toMillis());
        for (String bad : List.of("0s", "11m")) {
            UsageException e = assertThrows(UsageException.class, () -> RoleConfig.build(
                    flags("--child-io-timeout", bad), List.of("io-engine")));
            assertTrue(e.getMessage().contains("--child-io-timeout"), e.getMessage());
        }
    }

    @Test
    void nodeAndFailoverTimeoutsMustBeMoreThanZero() {
        var c = RoleConfig.build(flags("--node-timeout", "30s", "--failover-timeout", "1500ms"), List.of("control"));
        assertEquals(30_000L, c.getDuration("caspian.control.node-timeout").toMillis());
        assertEquals(1_500L, c.getDuration("caspian.control.failover-timeout").toMillis());
        for (String flag : List.of("--node-timeout", "--failover-timeout")) {
            UsageException e = assertThrows(UsageException.class, () -> RoleConfig.build(flags(flag, "0s"),
                    List.of("control")));
            assertTrue(e.getMessage().contains(flag), e.getMessage());
        }
    }

    @Test
    void aNodeIdTheApiCouldNotNameIsAUsageError() {
        for (String bad : List.of("Node_1", "node 1", "-node", "node\n1", "n".repeat(254))) {
            UsageException e = assertThrows(UsageException.class, () -> IoEngineOptions.fromConfig(RoleConfig.build(
                    flags("--node-id", bad, "--data-dir", dir.toString()), List.of("io-engine"))));
            assertTrue(e.getMessage().contains("--node-id"), e.getMessage());
        }
        assertEquals("node-1.zone-a", IoEngineOptions.fromConfig(RoleConfig.build(flags("--node-id", "node-1.zone-a",
                "--data-dir", dir.toString()), List.of("io-engine"))).nodeId());
    }

    @Test
    void badJournalAndMissingConfigFileAreUsageErrors() {
        assertThrows(UsageException.class, () -> RoleConfig.build(flags("--journal", "mysql"), List.of("control")));
        assertThrows(UsageException.class, () -> RoleConfig.build(flags("--journal", "postgres"), List.of("control")));
        assertThrows(UsageException.class, () -> RoleConfig.build(flags("--config", dir.resolve("none").toString()),
                List.of("control")));
    }

    @Test
    void theKafkaClientConfigFileReachesEveryKafkaClientsSettings() throws Exception {
        Path file = dir.resolve("kafka-client.properties");
        Files.writeString(file, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n");
        Config c = RoleConfig.build(flags("--kafka", "127.0.0.1:9092", "--kafka-client-config", file.toString()),
                List.of("control", "io-engine"));
        assertEquals("SASL_PLAINTEXT", IoEngineOptions.fromConfig(c).kafkaSecurity().properties()
                .get("security.protocol"));
        assertEquals("PLAIN", io.caspian.kafka.KafkaClientSecurity.fromConfig(c).properties().get("sasl.mechanism"));
        assertEquals(true, IoEngineOptions.fromConfig(RoleConfig.build(flags(), List.of("io-engine"))).kafkaSecurity()
                .isEmpty());
        Path none = dir.resolve("none.properties");
        assertEquals("--kafka-client-config " + none + ": no such file", assertThrows(UsageException.class,
                () -> RoleConfig.build(flags("--kafka-client-config", none.toString()), List.of("control")))
                .getMessage());
        Path acks = dir.resolve("acks.properties");
        Files.writeString(acks, "acks=1\n");
        assertThrows(UsageException.class, () -> RoleConfig.build(flags("--kafka-client-config", acks.toString()),
                List.of("control")));
    }
}
