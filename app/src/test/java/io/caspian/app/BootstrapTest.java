package io.caspian.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster Bootstrap through the flags the roles take: two control nodes found by config discovery form one cluster
 * without seeds, and an io-engine that may not form one joins it. Real actor systems and Pekko Management endpoints
 * on 127.0.0.1.
 */
class BootstrapTest {
    @TempDir
    Path dir;
    private final List<ActorSystem<Void>> systems = new ArrayList<>();

    @AfterEach
    void stop() {
        systems.forEach(ActorSystem::terminate);
        systems.forEach(s -> s.getWhenTerminated().toCompletableFuture().join());
    }

    private static Flags flags(String... args) {
        return Flags.parse(List.of(args), RoleConfig.union(RoleConfig.union(RoleConfig.COMMON, RoleConfig.CONTROL),
                RoleConfig.IO_ENGINE), Set.of());
    }

    @Test
    void controlNodesFormOneClusterThroughDiscoveryAndAnIoEngineJoinsIt() throws Exception {
        int m1 = MainTest.freePort();
        int m2 = MainTest.freePort();
        Path conf = dir.resolve("discovery.conf");
        // The control nodes' management endpoints, as DNS or the Kubernetes API would list them.
        Files.writeString(conf, "pekko.discovery.config.services.caspian-control.endpoints = ["
                + "{host = \"127.0.0.1\", port = " + m1 + "}, {host = \"127.0.0.1\", port = " + m2 + "}]\n"
                + "pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr = 2\n"
                + "pekko.management.cluster.bootstrap.contact-point-discovery.stable-margin = 1s\n"
                // One host, so the endpoints differ by port, which the default filter (made for one port per pod)
                // would drop.
                + "pekko.management.cluster.bootstrap.contact-point.filter-on-fallback-port = false\n");
        ActorSystem<Void> engine = start(List.of("io-engine"), conf, MainTest.freePort());
        ActorSystem<Void> c1 = start(List.of("control"), conf, m1);
        ActorSystem<Void> c2 = start(List.of("control"), conf, m2);
        assertFalse(engine.settings().config().getBoolean("pekko.management.cluster.bootstrap.new-cluster-enabled"));
        assertFalse(c1.settings().config().getBoolean("caspian.control.self-join"));

        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (up(c1) < 3 || up(c2) < 3 || up(engine) < 3) {
            assertTrue(System.nanoTime() < deadline, "not one cluster of 3 after 60 s: control-1 sees " + up(c1)
                    + ", control-2 " + up(c2) + ", the io-engine " + up(engine));
            Thread.sleep(200);
        }
        assertEquals(Cluster.get(c1).state().getLeader(), Cluster.get(engine).state().getLeader());
    }

    @Test
    void bootstrapIsOneWayToJoinAndNamesAKnownDiscovery() {
        assertThrows(UsageException.class, () -> RoleConfig.build(flags("--bootstrap", "config", "--seed",
                "127.0.0.1:2551"), List.of("control")));
        assertThrows(UsageException.class, () -> RoleConfig.build(flags("--bootstrap", "zookeeper"),
                List.of("control")));
        assertThrows(UsageException.class, () -> RoleConfig.build(flags("--management", "127.0.0.1:7626"),
                List.of("control")));
        Config c = RoleConfig.build(flags("--bootstrap", "kubernetes-api", "--management", "10.0.0.7:7626"),
                List.of("control"));
        assertEquals("kubernetes-api",
                c.getString("pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
        assertEquals("caspian-control", c.getString("pekko.management.cluster.bootstrap.contact-point-discovery"
                + ".service-name"));
        assertEquals(3, c.getInt("pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
        assertEquals("app.kubernetes.io/name=%s", c.getString("pekko.discovery.kubernetes-api.pod-label-selector"));
        assertEquals("10.0.0.7", c.getString("pekko.management.http.hostname"));
        assertTrue(c.getBoolean("pekko.management.cluster.bootstrap.new-cluster-enabled"));
        assertFalse(RoleConfig.build(flags(), List.of("control")).getBoolean(Bootstrap.ENABLED));
    }

    private ActorSystem<Void> start(List<String> roles, Path conf, int management) throws IOException {
        Config c = RoleConfig.build(flags("--host", "127.0.0.1", "--port", "0", "--bootstrap", "config",
                "--management", "127.0.0.1:" + management, "--config", conf.toString()), roles);
        ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), RoleConfig.SYSTEM, c);
        systems.add(s);
        Bootstrap.startIfEnabled(s);
        return s;
    }

    private static long up(ActorSystem<Void> s) {
        return StreamSupport.stream(Cluster.get(s).state().getMembers().spliterator(), false)
                .map(Member::status).filter(MemberStatus.up()::equals).count();
    }
}
