package io.caspian.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.caspian.events.proto.bus.BusEvent;
import io.caspian.events.proto.bus.RebuildOutcome;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fault loop across JVMs: a real Kafka broker (child process of this JVM), one control plane and four io-engines
 * started with {@code --kafka}, a thick 3-replica volume published over NBD and written by fio with crc32c verify.
 * Read and write errors injected on one child through REST fault it; the fault travels over the bus; the control
 * plane places a replacement on the spare pool, rebuilds it and destroys the faulted replica; every block verifies.
 * Then the broker is SIGKILLed, a second child is faulted while it is down, and the broker comes back: the fault
 * event buffered in the io-engine still arrives (it is in the topic, and the control plane's group commits past
 * it) and exactly one replacement is made for that fault, whether the bus record or the io-engines' state reports
 * (the reconciler's safety net, which does not wait for the broker) get there first.
 */
class FaultLoopIT {
    private static final int ENGINES = 4;
    private static final int POOL_MB = 128;
    private static final long VOLUME_BYTES = 64L << 20;
    private static final Duration SETTLE = Duration.ofSeconds(90);

    private final List<RoleProcess> processes = new ArrayList<>();
    private KafkaBroker broker;
    private Path work;
    private Fio fio;
    private long t0;

    @AfterEach
    void stopAll() throws Exception {
        for (RoleProcess p : processes) {
            p.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void faultedReplicasAreReplacedAcrossABrokerRestart() throws Exception {
        t0 = System.nanoTime();
        work = Files.createDirectories(Path.of(System.getProperty("caspian.it.work", "target/it-work"))
                .resolve("fault-loop-" + System.currentTimeMillis()));
        fio = new Fio(work.resolve("fio.log"));
        broker = KafkaBroker.start(work.resolve("kafka"));
        String kafka = broker.bootstrapServers();
        step("Kafka broker up at " + kafka);

        int controlPort = Ports.free();
        int restPort = Ports.free();
        // wait 0: a faulted replica is replaced at once, the loop under test (the wait has its own one-JVM test)
        processes.add(RoleProcess.start("control", work, List.of("control", "--data-dir",
                work.resolve("control").toString(), "--port", String.valueOf(controlPort), "--rest",
                "127.0.0.1:" + restPort, "--seed", "127.0.0.1:" + controlPort, "--kafka", kafka,
                "--faulted-child-wait", "0s")));
        for (int i = 1; i <= ENGINES; i++) {
            processes.add(RoleProcess.start("node-" + i, work, List.of("io-engine", "--node-id", "node-" + i,
                    "--data-dir", work.resolve("node-" + i).toString(), "--port", String.valueOf(Ports.free()),
                    "--seed", "127.0.0.1:" + controlPort, "--nbd-port", String.valueOf(Ports.free()),
                    "--nvmf-port", String.valueOf(Ports.free()), "--kafka", kafka)));
        }
        Api api = new Api(restPort, work.resolve("control"));
        await("4 io-engines online", () -> countOnline(api.get("/v0/nodes")) == ENGINES);
        for (int i = 1; i <= ENGINES; i++) {
            api.put("/v0/nodes/node-" + i + "/pools/pool-" + i, "{\"disks\":[\"" + poolDisk(i) + "\"]}");
        }
        String volume = UUID.randomUUID().toString();
        api.put("/v0/volumes/" + volume, "{\"size\":" + VOLUME_BYTES + ",\"replicas\":3,\"thin\":false}");
        String device = api.put("/v0/volumes/" + volume + "/target?protocol=nbd", null).path("target")
                .path("device_uri").asText();
        await("volume online", () -> "Online".equals(api.get("/v0/volumes/" + volume).path("status").asText()));
        fio.writeAndVerify(device, 0, 16);
        step("cluster up, volume published on " + device + ", 16 MiB written and verified");

        Watcher watcher = new Watcher(api, volume);
        watcher.start();
        try {
            // fault 1: read and write errors past the threshold while fio writes
            String first = victim(api, volume);
            String firstUri = childUri(api, volume, first);
            String firstPool = api.get("/v0/replicas/" + first).path("pool").asText();
            Set<String> before1 = Set.copyOf(volumeReplicas(api, volume));
            Fio.Running w1 = fio.startWriteAndVerify(device, 16, 16, 4);
            inject(api, volume, first, "read");
            inject(api, volume, first, "write");
            String replacement1 = awaitReplaced(api, volume, first, before1);
            w1.await();
            fio.verify(device, 0, 32);
            // The journal, not a sample of the live view: a read model catching up after a stall (a loaded CI
            // machine) applies the fault and the replacement in one group, and Faulted is never listed.
            await(first + "'s fault journaled for its volume", () -> faultJournaled(api, volume, firstUri));
            assertEquals(1, watcher.newReplicas(before1).size(), "one replacement: " + watcher.newReplicas(before1));
            String sparePool = api.get("/v0/replicas/" + replacement1).path("pool").asText();
            assertFalse(before1.stream().anyMatch(r -> poolOf(api, r).equals(sparePool)), "spare pool " + sparePool);
            // the io-engine destroyed it: its pool holds nothing any more (observed, from the io-engine's report)
            await(firstPool + " empty on its io-engine", () -> api.get("/v0/pools/" + firstPool).path("committed")
                    .asLong() == 0);
            step("fault 1 on " + first + ": Faulted -> replacement " + replacement1 + " on " + sparePool
                    + " rebuilt -> Online (states polled: faulted " + watcher.states.get(first) + ", replacement "
                    + watcher.states.get(replacement1) + "); faulted replica destroyed; 32 MiB verify");

            String replacement1Uri = childUri(api, volume, replacement1);
            Map<String, List<BusEvent>> events = readTopics(kafka, volume, ev -> hasFaulted(ev, firstUri)
                    && hasRebuildCompleted(ev, replacement1Uri));
            assertTrue(hasFaulted(events, firstUri), "ChildStateChanged -> FAULTED of " + firstUri + " in "
                    + BusTopics.IO_FAULTS);
            assertTrue(hasRebuildCompleted(events, replacement1Uri),
                    "RebuildFinished COMPLETED of the replacement in " + BusTopics.IO_REBUILD);
            step("topics hold the fault and the rebuild: " + summary(events));

            // fault 2: the broker is down when the child faults, and comes back later
            String second = victim(api, volume);
            String secondUri = childUri(api, volume, second);
            Set<String> before2 = Set.copyOf(volumeReplicas(api, volume));
            Set<String> seenBefore2 = Set.copyOf(watcher.allReplicas);
            broker.kill();
            step("broker SIGKILLed");
            Fio.Running w2 = fio.startWriteAndVerify(device, 32, 16, 4);
            inject(api, volume, second, "write");
            await(second + " Faulted on the io-engine", () -> watcher.saw(second, "Faulted"));
            Thread.sleep(3000);
            Set<String> madeWhileDown = new HashSet<>(watcher.allReplicas);
            madeWhileDown.removeAll(seenBefore2);
            broker.restart();
            step("child " + second + " faulted while the broker was down (replicas made meanwhile by the "
                    + "io-engines' state reports: " + madeWhileDown + "); broker restarted");
            String replacement2 = awaitReplaced(api, volume, second, before2);
            w2.await();
            fio.verify(device, 0, 48);
            Set<String> made = new HashSet<>(watcher.allReplicas);
            made.removeAll(seenBefore2);
            assertEquals(Set.of(replacement2), made, "exactly one replica made for fault 2");
            Map<String, List<BusEvent>> after = readTopics(kafka, volume, ev -> hasFaulted(ev, secondUri));
            assertTrue(hasFaulted(after, secondUri), "the fault raised while the broker was down reached "
                    + BusTopics.IO_FAULTS);
            Positioned fault2 = faultRecord(kafka, volume, secondUri);
            await("the control plane's consumer group committed past the fault record " + fault2.partition() + "@"
                    + fault2.offset(), () -> committed(kafka, fault2.partition()) > fault2.offset());
            Set<String> made2 = new HashSet<>(watcher.allReplicas);
            made2.removeAll(seenBefore2);
            assertEquals(Set.of(replacement2), made2, "still exactly one replica made for fault 2 after the "
                    + "control plane applied its bus record");
            step("fault 2 on " + second + ": one replacement " + replacement2 + ", rebuilt -> Online; "
                    + "fault record " + fault2.partition() + "@" + fault2.offset() + " delivered after the broker "
                    + "restart and committed by the control plane; 48 MiB verify; " + summary(after));
        } finally {
            watcher.stop();
        }
    }

    /** A replica of the volume whose child is not on the nexus's node (any would do; this keeps it remote). */
    private static String victim(Api api, String volume) throws IOException {
        JsonNode nexus = api.get("/v0/nexuses/" + volume);
        for (JsonNode c : nexus.path("children")) {
            if (c.path("uri").asText().startsWith("nvmf://") && "Online".equals(c.path("state").asText())) {
                return c.path("replica").asText();
            }
        }
        throw new AssertionError("no remote online child in " + nexus);
    }

    private static String childUri(Api api, String volume, String replica) throws IOException {
        for (JsonNode c : api.get("/v0/nexuses/" + volume).path("children")) {
            if (c.path("replica").asText().equals(replica)) {
                return c.path("uri").asText();
            }
        }
        throw new AssertionError("replica " + replica + " is no child of nexus " + volume);
    }

    private static void inject(Api api, String volume, String replica, String op) throws IOException {
        api.put("/v0/volumes/" + volume + "/children/" + replica + "/fault", "{\"op\":\"" + op + "\",\"offset\":0,"
                + "\"length\":" + VOLUME_BYTES + "}");
    }

    /** Waits for the volume to be Online with three replicas, {@code faulted} gone; returns the new one. */
    private String awaitReplaced(Api api, String volume, String faulted, Set<String> before) throws Exception {
        AtomicReference<String> added = new AtomicReference<>();
        await("replacement of " + faulted + " rebuilt, volume Online", () -> {
            JsonNode v = api.get("/v0/volumes/" + volume);
            List<String> now = volumeReplicas(api, volume);
            JsonNode n = api.get("/v0/nexuses/" + volume);
            boolean allOnline = n.path("children").size() == 3;
            for (JsonNode c : n.path("children")) {
                allOnline &= "Online".equals(c.path("state").asText());
            }
            Set<String> fresh = new HashSet<>(now);
            fresh.removeAll(before);
            if (fresh.size() == 1) {
                added.set(fresh.iterator().next());
            }
            return "Online".equals(v.path("status").asText()) && allOnline && now.size() == 3
                    && !now.contains(faulted) && fresh.size() == 1;
        });
        await(faulted + " gone from the replicas list", () -> {
            for (JsonNode r : api.get("/v0/replicas")) {
                if (r.path("uuid").asText().equals(faulted)) {
                    return false;
                }
            }
            return true;
        });
        return added.get();
    }

    private static List<String> volumeReplicas(Api api, String volume) throws IOException {
        List<String> r = new ArrayList<>();
        api.get("/v0/volumes/" + volume).path("replicas").forEach(x -> r.add(x.asText()));
        return r;
    }

    private static String poolOf(Api api, String replica) {
        try {
            return api.get("/v0/replicas/" + replica).path("pool").asText();
        } catch (IOException e) {
            return "";
        }
    }

    /** Polls the REST view every 200 ms: every replica of the volume ever listed, every child state seen. */
    private static final class Watcher implements Runnable {
        private final Api api;
        private final String volume;
        final Set<String> allReplicas = ConcurrentHashMap.newKeySet();
        final Map<String, Set<String>> states = new ConcurrentHashMap<>();
        private volatile boolean running = true;
        private Thread thread;

        Watcher(Api api, String volume) {
            this.api = api;
            this.volume = volume;
        }

        void start() {
            thread = new Thread(this, "fault-loop-watcher");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(5000);
        }

        boolean saw(String replica, String state) {
            return states.getOrDefault(replica, Set.of()).contains(state);
        }

        Set<String> newReplicas(Set<String> before) {
            Set<String> s = new HashSet<>(allReplicas);
            s.removeAll(before);
            return s;
        }

        @Override
        public void run() {
            while (running) {
                try {
                    for (JsonNode r : api.get("/v0/replicas")) {
                        if (volume.equals(r.path("volume").asText())) {
                            allReplicas.add(r.path("uuid").asText());
                        }
                    }
                    for (JsonNode c : api.get("/v0/nexuses/" + volume).path("children")) {
                        states.computeIfAbsent(c.path("replica").asText(), k -> ConcurrentHashMap.newKeySet())
                                .add(c.path("state").asText());
                    }
                    Thread.sleep(200);
                } catch (IOException e) {
                    // the control plane is busy: try again
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    interface Done {
        boolean test(Map<String, List<BusEvent>> events);
    }

    /** Reads the io topics from the beginning with a plain consumer until {@code done} holds or 30 s pass. */
    private static Map<String, List<BusEvent>> readTopics(String kafka, String nexus, Done done) throws Exception {
        Map<String, List<BusEvent>> events = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(kafka))) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : List.of(BusTopics.IO_FAULTS, BusTopics.IO_REBUILD)) {
                for (PartitionInfo i : c.partitionsFor(t, Duration.ofSeconds(30))) {
                    parts.add(new TopicPartition(t, i.partition()));
                }
                events.put(t, new ArrayList<>());
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && !done.test(events)) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    BusEvent e = BusEvent.parseFrom(r.value());
                    if (e.getNexus().equals(nexus)) {
                        events.get(r.topic()).add(e);
                    }
                }
            }
        }
        return events;
    }

    record Positioned(TopicPartition partition, long offset) {
    }

    /** Where the first ChildStateChanged -> FAULTED of {@code childUri} sits in the faults topic. */
    private static Positioned faultRecord(String kafka, String nexus, String childUri) throws Exception {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(kafka))) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo i : c.partitionsFor(BusTopics.IO_FAULTS, Duration.ofSeconds(30))) {
                parts.add(new TopicPartition(BusTopics.IO_FAULTS, i.partition()));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    BusEvent e = BusEvent.parseFrom(r.value());
                    if (e.getNexus().equals(nexus) && hasFaulted(Map.of(BusTopics.IO_FAULTS, List.of(e)), childUri)) {
                        return new Positioned(new TopicPartition(r.topic(), r.partition()), r.offset());
                    }
                }
            }
        }
        throw new AssertionError("no FAULTED record of " + childUri + " in " + BusTopics.IO_FAULTS);
    }

    /** The control plane's committed offset on {@code tp} (group caspian-control), -1 when none. */
    private static long committed(String kafka, TopicPartition tp) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
        try (Admin admin = Admin.create(p)) {
            OffsetAndMetadata m = admin.listConsumerGroupOffsets("caspian-control").partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS).get(tp);
            return m == null ? -1 : m.offset();
        }
    }

    private static Properties consumerProps(String kafka) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return p;
    }

    private static boolean hasFaulted(Map<String, List<BusEvent>> events, String childUri) {
        return events.getOrDefault(BusTopics.IO_FAULTS, List.of()).stream().anyMatch(e -> e.hasChildStateChanged()
                && e.getChildStateChanged().getChild().equals(childUri)
                && e.getChildStateChanged().getTo().getState().name().endsWith("FAULTED"));
    }

    private static boolean hasRebuildCompleted(Map<String, List<BusEvent>> events, String childUri) {
        return events.getOrDefault(BusTopics.IO_REBUILD, List.of()).stream().anyMatch(e -> e.hasRebuildFinished()
                && e.getRebuildFinished().getChild().equals(childUri)
                && e.getRebuildFinished().getOutcome() == RebuildOutcome.REBUILD_COMPLETED);
    }

    private static String summary(Map<String, List<BusEvent>> events) {
        Map<String, Integer> n = new HashMap<>();
        events.values().forEach(l -> l.forEach(e -> n.merge(e.getEventCase().name().toLowerCase(), 1, Integer::sum)));
        return n.toString();
    }

    private static long countOnline(JsonNode nodes) {
        long n = 0;
        for (JsonNode node : nodes) {
            n += "Online".equals(node.path("status").asText()) ? 1 : 0;
        }
        return n;
    }

    private String poolDisk(int i) {
        return "file://" + work.resolve("node-" + i).resolve("pool.img").toAbsolutePath() + "?size_mb=" + POOL_MB;
    }

    private void step(String what) {
        System.out.printf("[FaultLoopIT %5.1f s] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    private static boolean faultJournaled(Api api, String volume, String childUri) throws IOException {
        for (JsonNode e : api.get("/v0/events?volume=" + volume + "&type=ChildFaulted&limit=1000").path("events")) {
            if (e.path("payload").toString().contains('"' + childUri + '"')) {
                return true;
            }
        }
        return false;
    }

    private void await(String what, Waits.Check check) throws Exception {
        Waits.await(what, SETTLE, work, check);
    }
}
