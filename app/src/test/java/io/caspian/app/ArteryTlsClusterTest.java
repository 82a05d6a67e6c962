package io.caspian.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.pattern.Patterns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes configured by {@link RoleConfig} with the {@code --cluster-tls-*} flags form a cluster over Artery TLS
 * and exchange a message; a third node whose certificate they do not trust is refused, although it trusts theirs:
 * mutual authentication is what keeps it out. All on 127.0.0.1, each wait bounded.
 */
class ArteryTlsClusterTest {
    private static final Duration FORM = Duration.ofSeconds(60);
    /** Long enough for several join attempts (Pekko retries the seeds every few seconds). */
    private static final Duration REFUSED = Duration.ofSeconds(15);

    @TempDir
    Path dir;
    private final List<ActorSystem<Void>> systems = new ArrayList<>();

    @AfterEach
    void stop() {
        systems.forEach(ActorSystem::terminate);
        systems.forEach(s -> s.getWhenTerminated().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join());
    }

    /** Answers every string with "pong " and the string, to its sender. */
    static final class Echo extends AbstractActor {
        @Override
        public Receive createReceive() {
            return receiveBuilder().match(String.class, s -> getSender().tell("pong " + s, getSelf())).build();
        }
    }

    @Test
    void twoNodesWithTheClusterCertificateFormAClusterAndANodeWithAnotherIsRefused() throws Exception {
        Path cluster = TestKeyStores.keyStore(dir, "caspian-cluster");
        Path trust = TestKeyStores.trustStore(dir, cluster, "caspian-cluster");
        Path password = TestKeyStores.passwordFile(dir);
        Path intruder = TestKeyStores.keyStore(dir, "intruder");
        int seedPort = MainTest.freePort();

        ActorSystem<Void> a = node("control", seedPort, seedPort, cluster, trust, password);
        ActorSystem<Void> b = node("io-engine", MainTest.freePort(), seedPort, cluster, trust, password);
        assertEquals("tls-tcp", a.settings().config().getString("pekko.remote.artery.transport"));
        await("both nodes Up on both", FORM, () -> upOn(a).size() == 2 && upOn(b).size() == 2);
        assertEquals(Set.of(a.address(), b.address()), upOn(a));

        // A message from the io-engine node to an actor on the control node, and its answer, over TLS.
        ((ExtendedActorSystem) Adapter.toClassic(a)).systemActorOf(Props.create(Echo.class), "echo");
        String path = a.address() + "/system/echo";
        Object answer = Patterns.ask(Adapter.toClassic(b).actorSelection(path), "ping from b", Duration.ofSeconds(20))
                .toCompletableFuture().get();
        assertEquals("pong ping from b", answer);

        // The intruder trusts the cluster's certificate, but the cluster does not trust its own.
        ActorSystem<Void> c = node("io-engine", MainTest.freePort(), seedPort, intruder, trust, password);
        long deadline = System.nanoTime() + REFUSED.toNanos();
        while (System.nanoTime() < deadline) {
            assertEquals(Set.of(a.address(), b.address()), members(a), "the intruder got into the membership");
            assertTrue(upOn(c).isEmpty(), "the intruder sees members " + upOn(c));
            Thread.sleep(500);
        }
        // ... while the two others still talk.
        assertEquals("pong again", Patterns.ask(Adapter.toClassic(b).actorSelection(path), "again",
                Duration.ofSeconds(20)).toCompletableFuture().get());
    }

    private ActorSystem<Void> node(String role, int port, int seedPort, Path keyStore, Path trustStore, Path password) {
        Config config = RoleConfig.build(Flags.parse(List.of("--host", "127.0.0.1", "--port", String.valueOf(port),
                "--seed", "127.0.0.1:" + seedPort, "--cluster-tls-keystore", keyStore.toString(),
                "--cluster-tls-truststore", trustStore.toString(), "--cluster-tls-password-file", password.toString()),
                RoleConfig.COMMON, Set.of()), List.of(role));
        ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), RoleConfig.SYSTEM, config);
        systems.add(s);
        return s;
    }

    /** Every member's address as {@code on} sees the membership, whatever its status. */
    private static Set<Address> members(ActorSystem<Void> on) {
        return StreamSupport.stream(Cluster.get(on).state().getMembers().spliterator(), false)
                .map(Member::address).collect(Collectors.toSet());
    }

    private static Set<Address> upOn(ActorSystem<Void> on) {
        return StreamSupport.stream(Cluster.get(on).state().getMembers().spliterator(), false)
                .filter(m -> m.status() == MemberStatus.up()).map(Member::address).collect(Collectors.toSet());
    }

    private static void await(String what, Duration within, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + within);
            }
            Thread.sleep(200);
        }
    }
}
