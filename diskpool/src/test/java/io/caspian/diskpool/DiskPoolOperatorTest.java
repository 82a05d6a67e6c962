package io.caspian.diskpool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator against fabric8's Kubernetes mock server in CRUD mode (with the repo's DiskPool CRD, so status is a
 * subresource and finalizers hold deleted objects) and a real control plane with one real io-engine, pools in
 * sparse files under a temporary directory.
 */
class DiskPoolOperatorTest {
    private static final String NS = "caspian";
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path dir;

    private static OneNodeCaspian caspian;
    private static KubernetesMockServer server;
    private static KubernetesClient client;
    private static Operator operator;

    /** Kept: java.util.logging holds loggers weakly, and the mock server logs every request at INFO. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8");

    @BeforeAll
    static void start() throws Exception {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
        caspian = OneNodeCaspian.start(dir);
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
        client.apiextensions().v1().customResourceDefinitions()
                .load(Path.of("../k8s/base/crd-diskpool.yaml").toFile()).create();
        operator = startOperator(caspian.api);
    }

    @AfterAll
    static void stop() {
        if (operator != null) {
            operator.close();
        }
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.destroy();
        }
        if (caspian != null) {
            caspian.close();
        }
    }

    private static Operator startOperator(String api) {
        return new Operator(client, NS, new PoolApi(api, Duration.ofSeconds(10),
                Optional.of(caspian.token())), Duration.ofSeconds(2), null).start();
    }

    @Test
    void createsThePoolAndReportsItOnlineAndSaysLabelsCannotChange() {
        String disk = fileDisk("online");
        create("pool-online", OneNodeCaspian.NODE, disk, Map.of("media", "ssd"));

        DiskPool dp = awaitState("pool-online", "Online");
        assertTrue(dp.getStatus().capacity() > 0, "capacity " + dp.getStatus());
        assertEquals(dp.getStatus().capacity() - dp.getStatus().used(), dp.getStatus().available());
        assertTrue(dp.getMetadata().getFinalizers().contains(DiskPool.FINALIZER));
        OneNodeCaspian.Reply pool = caspian.pool("pool-online");
        assertEquals(200, pool.status());
        assertEquals(disk, pool.json().path("disks").path(0).asText());
        assertEquals("ssd", pool.json().path("labels").path("media").asText());

        // The API cannot change a pool's labels: the status says so and the pool stays as it is, Online.
        resource("pool-online").edit(d -> {
            d.setSpec(new DiskPoolSpec(d.getSpec().node(), d.getSpec().disks(), Map.of("media", "hdd")));
            return d;
        });
        dp = Waits.until("a message about labels", WAIT, () -> resource("pool-online").get(),
                d -> d.getStatus().message() != null && d.getStatus().message().contains("labels"));
        assertEquals("Online", dp.getStatus().state());
        assertEquals("ssd", caspian.pool("pool-online").json().path("labels").path("media").asText());
    }

    @Test
    void aDiskHoldingDataIsRefusedAndLeftAsItWas() throws Exception {
        Path file = dir.resolve("data.img");
        byte[] data = new byte[1 << 20];
        new Random(7).nextBytes(data);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(data), 0);
            ch.truncate(64L << 20);
            ch.write(ByteBuffer.wrap(new byte[] {0}), (64L << 20) - 1);
        }
        byte[] before = sha256(file);

        create("pool-data", OneNodeCaspian.NODE, "file://" + file.toAbsolutePath() + "?size_mb=64", Map.of());

        DiskPool dp = awaitState("pool-data", "Error");
        assertNotNull(dp.getStatus().message());
        assertTrue(dp.getStatus().message().contains("overwrite"), dp.getStatus().message());
        // The control plane forgets a refused pool; a retry under way may show it for a moment, never Online.
        OneNodeCaspian.Reply pool = caspian.pool("pool-data");
        assertTrue(pool.status() == 404 || !"Online".equals(pool.json().path("status").asText()), pool.toString());
        assertArrayEquals(before, sha256(file), "the disk's bytes changed");
    }

    @Test
    void anUnknownNodeIsAnErrorInStatus() {
        create("pool-nowhere", "no-such-node", fileDisk("nowhere"), Map.of());

        DiskPool dp = awaitState("pool-nowhere", "Error");
        assertTrue(dp.getStatus().message().contains("no-such-node"), dp.getStatus().message());

        // Deleting it needs no pool to go: the control plane says there is none on that node.
        resource("pool-nowhere").delete();
        awaitGone("pool-nowhere");
    }

    @Test
    void deletingTheDiskPoolDestroysThePoolThenReleasesTheObject() {
        create("pool-gone", OneNodeCaspian.NODE, fileDisk("gone"), Map.of());
        awaitState("pool-gone", "Online");

        resource("pool-gone").delete();

        awaitGone("pool-gone");
        assertEquals(404, caspian.pool("pool-gone").status());
    }

    @Test
    void aPoolHoldingAReplicaIsKeptUntilItsVolumeIsGone() {
        create("pool-busy", OneNodeCaspian.NODE, fileDisk("busy"), Map.of("test", "busy"));
        awaitState("pool-busy", "Online");
        String volume = UUID.randomUUID().toString();
        OneNodeCaspian.Reply made = caspian.call("PUT", "/v0/volumes/" + volume, "{\"size\": 8388608, "
                + "\"replicas\": 1, \"thin\": true, \"topology\": {\"pool_labels\": {\"test\": \"busy\"}}}");
        assertEquals(200, made.status(), made.json().toString());

        resource("pool-busy").delete();

        DiskPool dp = Waits.until("the reason the pool stays", WAIT, () -> resource("pool-busy").get(),
                d -> d.getStatus() != null && d.getStatus().message() != null
                        && d.getStatus().message().contains("replica"));
        assertNotNull(dp.getMetadata().getDeletionTimestamp());
        assertEquals(200, caspian.pool("pool-busy").status());

        assertEquals(204, caspian.call("DELETE", "/v0/volumes/" + volume, null).status());
        awaitGone("pool-busy");
        assertEquals(404, caspian.pool("pool-busy").status());
    }

    @Test
    void aRestartedOperatorAdoptsItsPoolsWithoutTouchingThem() throws Exception {
        Path file = dir.resolve("adopted.img");
        create("pool-adopted", OneNodeCaspian.NODE, "file://" + file.toAbsolutePath() + "?size_mb=64", Map.of());
        awaitState("pool-adopted", "Online");

        Operator second;
        synchronized (DiskPoolOperatorTest.class) {
            operator.close();
            byte[] before = sha256(file);
            // While no operator runs, the status is lost: a new one's first pass must write it again.
            DiskPool d = resource("pool-adopted").get();
            d.setStatus(null);
            resource("pool-adopted").updateStatus(d);
            operator = startOperator(caspian.api);
            awaitState("pool-adopted", "Online");
            assertArrayEquals(before, sha256(file), "the pool's disk was written to");
        }
        assertEquals(200, caspian.pool("pool-adopted").status());
    }

    @Test
    void anUnreachableApiDestroysNothingAndReleasesNothing() {
        try (Operator blind = new Operator(client, "elsewhere", new PoolApi("http://127.0.0.1:1",
                Duration.ofSeconds(2), Optional.empty()), Duration.ofSeconds(2), null).start()) {
            Resource<DiskPool> r = client.resources(DiskPool.class).inNamespace("elsewhere").resource(
                    diskPool("pool-blind", "elsewhere", OneNodeCaspian.NODE, fileDisk("blind"), Map.of()));
            r.create();
            Waits.until("state Unknown", WAIT, r::get, d -> d.getStatus() != null
                    && "Unknown".equals(d.getStatus().state()));
            r.delete();
            DiskPool dp = Waits.until("the reason it stays", WAIT, r::get, d -> d.getStatus().message()
                    .startsWith("the pool is not destroyed yet"));
            assertTrue(dp.getMetadata().getFinalizers().contains(DiskPool.FINALIZER));
        }
    }

    // ------------------------------------------------------------------ helpers

    private static String fileDisk(String name) {
        return "file://" + dir.resolve(name + ".img").toAbsolutePath() + "?size_mb=64";
    }

    private static DiskPool diskPool(String name, String ns, String node, String disk, Map<String, String> labels) {
        DiskPool dp = new DiskPool();
        dp.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
        dp.setSpec(new DiskPoolSpec(node, List.of(disk), labels));
        return dp;
    }

    private static void create(String name, String node, String disk, Map<String, String> labels) {
        client.resources(DiskPool.class).inNamespace(NS).resource(diskPool(name, NS, node, disk, labels)).create();
    }

    private static Resource<DiskPool> resource(String name) {
        return client.resources(DiskPool.class).inNamespace(NS).withName(name);
    }

    private static DiskPool awaitState(String name, String state) {
        return Waits.until(name + " " + state, WAIT, () -> resource(name).get(),
                d -> d != null && d.getStatus() != null && state.equals(d.getStatus().state()));
    }

    private static void awaitGone(String name) {
        Waits.until(name + " gone from Kubernetes", WAIT, () -> resource(name).get(), d -> d == null);
    }

    private static byte[] sha256(Path file) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
