package io.caspian.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.caspian.events.proto.bus.BusEvent;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A restarted control plane destroys nothing. One control JVM, four io-engine JVMs and a real Kafka broker; two
 * published thick 3-replica volumes, one of them written by fio (crc32c) while the control JVM is killed with
 * SIGKILL ten times and stopped with SIGTERM and started again ten times. After every restart each io-engine is
 * Online again within {@link #REJOIN_BOUND}, and the REST view of replicas and nexus children is what it was before
 * the first restart: no replica destroyed, replaced or re-created, no child out of sync; no rebuild record reaches
 * the io bus; every block written verifies.
 */
class ControlRestartIT {
    private static final int ENGINES = 4;
    private static final int RESTARTS_EACH = 10;
    private static final long VOLUME_BYTES = 64L << 20;
    private static final long MB_PER_CYCLE = 3;
    /** From starting the control JVM again to every io-engine Online in its REST view. */
    static final Duration REJOIN_BOUND = Duration.ofSeconds(45);
    private static final Duration SETTLE = Duration.ofSeconds(90);

    private final List<RoleProcess> engines = new ArrayList<>();
    private RoleProcess control;
    private KafkaBroker broker;
    private Path work;
    private long t0;

    @AfterEach
    void stopAll() throws Exception {
        if (control != null) {
            control.close();
        }
        for (RoleProcess p : engines) {
            p.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void restartsOfTheControlPlaneDestroyNothing() throws Exception {
        t0 = System.nanoTime();
        work = Files.createDirectories(Path.of(System.getProperty("caspian.it.work", "target/it-work"))
                .resolve("control-restart-" + System.currentTimeMillis()));
        Fio fio = new Fio(work.resolve("fio.log"));
        broker = KafkaBroker.start(work.resolve("kafka"));
        String kafka = broker.bootstrapServers();
        int controlPort = Ports.free();
        int restPort = Ports.free();
        List<Integer> enginePorts = new ArrayList<>();
        for (int i = 0; i < ENGINES; i++) {
            enginePorts.add(Ports.free());
        }
        List<String> controlArgs = new ArrayList<>(List.of("control", "--data-dir", work.resolve("control").toString(),
                "--port", String.valueOf(controlPort), "--rest", "127.0.0.1:" + restPort, "--seed",
                "127.0.0.1:" + controlPort, "--kafka", kafka, "--faulted-child-wait", "0s"));
        enginePorts.forEach(p -> controlArgs.addAll(List.of("--seed", "127.0.0.1:" + p)));
        control = RoleProcess.start("control", work, controlArgs);
        for (int i = 1; i <= ENGINES; i++) {
            engines.add(RoleProcess.start("node-" + i, work, List.of("io-engine", "--node-id", "node-" + i,
                    "--data-dir", work.resolve("node-" + i).toString(), "--port", String.valueOf(enginePorts.get(i - 1)),
                    "--seed", "127.0.0.1:" + controlPort, "--nbd-port", String.valueOf(Ports.free()),
                    "--nvmf-port", String.valueOf(Ports.free()), "--kafka", kafka)));
        }
        Api api = new Api(restPort, work.resolve("control"));
        await("4 io-engines online", () -> online(api) == ENGINES);
        for (int i = 1; i <= ENGINES; i++) {
            api.put("/v0/nodes/node-" + i + "/pools/pool-" + i, "{\"disks\":[\"file://"
                    + work.resolve("node-" + i).resolve("pool.img").toAbsolutePath() + "?size_mb=192\"]}");
        }
        List<String> volumes = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString());
        List<String> devices = new ArrayList<>();
        for (String v : volumes) {
            api.put("/v0/volumes/" + v, "{\"size\":" + VOLUME_BYTES + ",\"replicas\":3,\"thin\":false}");
            devices.add(api.put("/v0/volumes/" + v + "/target?protocol=nbd", null).path("target").path("device_uri")
                    .asText());
            await("volume " + v + " online", () -> "Online".equals(api.get("/v0/volumes/" + v).path("status")
                    .asText()));
        }
        fio.writeAndVerify(devices.get(1), 0, 16);
        Map<String, String> before = children(api, volumes);
        step("cluster up; 2 volumes published; children " + before);

        Seen seen = new Seen(api, volumes);
        Thread poller = new Thread(seen, "rest-poller");
        poller.setDaemon(true);
        poller.start();
        long written = 0;
        List<Double> rejoin = new ArrayList<>();
        try {
            for (int cycle = 0; cycle < 2 * RESTARTS_EACH; cycle++) {
                boolean sigkill = cycle % 2 == 0;
                Fio.Running w = fio.startWriteAndVerify(devices.get(0), written, MB_PER_CYCLE, 1);
                if (sigkill) {
                    control.kill();
                } else {
                    control.close();
                }
                long start = System.nanoTime();
                control.restart();
                awaitWithin("every io-engine Online again after restart " + (cycle + 1), REJOIN_BOUND,
                        () -> online(api) == ENGINES);
                rejoin.add((System.nanoTime() - start) / 1e9);
                await("children as before restart " + (cycle + 1), () -> children(api, volumes).equals(before));
                w.await();
                written += MB_PER_CYCLE;
                step(String.format("restart %d (%s): io-engines Online after %.1f s; children unchanged; %d MiB "
                        + "written under fio", cycle + 1, sigkill ? "SIGKILL" : "SIGTERM", rejoin.get(cycle), written));
            }
        } finally {
            seen.stop();
        }
        fio.verify(devices.get(0), 0, written);
        fio.verify(devices.get(1), 0, 16);
        assertEquals(new TreeSet<>(before.keySet()), new TreeSet<>(seen.replicas),
                "replicas ever listed during the restarts: none destroyed, none added");
        assertEquals(Set.of("Online"), Set.copyOf(seen.childStates), "child states ever listed");
        for (String v : volumes) {
            assertEquals(List.of(), rebuildRecords(kafka, v), "rebuild records of volume " + v + " on "
                    + BusTopics.IO_REBUILD);
        }
        double max = rejoin.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        step(String.format("%d restarts: io-engines Online again after %.1f s at most (mean %.1f s); every block "
                + "verifies", rejoin.size(), max, rejoin.stream().mapToDouble(Double::doubleValue).average()
                .orElse(0)));
        assertTrue(max <= REJOIN_BOUND.toSeconds());
    }

    /** Every child of the volumes' nexuses: replica uuid to "uri state". */
    private static Map<String, String> children(Api api, List<String> volumes) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String v : volumes) {
            for (JsonNode c : api.get("/v0/nexuses/" + v).path("children")) {
                out.put(c.path("replica").asText(), c.path("uri").asText() + " " + c.path("state").asText());
            }
        }
        return out;
    }

    private static long online(Api api) throws IOException {
        long n = 0;
        for (JsonNode node : api.get("/v0/nodes")) {
            n += "Online".equals(node.path("status").asText()) ? 1 : 0;
        }
        return n;
    }

    /** Polls the REST view while the control plane comes and goes: every replica and child state it ever lists. */
    private static final class Seen implements Runnable {
        private final Api api;
        private final List<String> volumes;
        final Set<String> replicas = ConcurrentHashMap.newKeySet();
        final Set<String> childStates = ConcurrentHashMap.newKeySet();
        private volatile boolean running = true;

        Seen(Api api, List<String> volumes) {
            this.api = api;
            this.volumes = volumes;
        }

        @Override
        public void run() {
            while (running) {
                try {
                    for (String v : volumes) {
                        api.get("/v0/volumes/" + v).path("replicas").forEach(r -> replicas.add(r.asText()));
                        for (JsonNode c : api.get("/v0/nexuses/" + v).path("children")) {
                            replicas.add(c.path("replica").asText());
                            childStates.add(c.path("state").asText());
                        }
                    }
                    Thread.sleep(300);
                } catch (IOException e) {
                    // the control plane is down or starting: nothing to see
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void stop() {
            running = false;
        }
    }

    /** Every record of the volume's nexus on the rebuild topic, read from the beginning for 5 s. */
    private static List<String> rebuildRecords(String kafka, String nexus) throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<String> found = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo i : c.partitionsFor(BusTopics.IO_REBUILD, Duration.ofSeconds(30))) {
                parts.add(new TopicPartition(BusTopics.IO_REBUILD, i.partition()));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    BusEvent e = BusEvent.parseFrom(r.value());
                    if (e.getNexus().equals(nexus)) {
                        found.add(e.getEventCase().name());
                    }
                }
            }
        }
        return found;
    }

    private void step(String what) {
        System.out.printf("[ControlRestartIT %5.1f s] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    private void await(String what, Waits.Check check) throws Exception {
        Waits.await(what, SETTLE, work, check);
    }

    private void awaitWithin(String what, Duration bound, Waits.Check check) throws Exception {
        Waits.await(what, bound, work, check);
    }
}
