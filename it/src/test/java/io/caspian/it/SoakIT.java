package io.caspian.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.caspian.events.proto.bus.BusEvent;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fault soak: cycles of faults under fio's crc32c-verified writes to a thick 3-replica volume exported over
 * NBD, on one control node, four io-engines and a real Kafka broker, each in its own JVM. Each io-engine's pool is on
 * a disk of its own on the network: a file exported over NVMe/TCP by a {@link DiskTarget} JVM. Each cycle starts fio
 * on the next 8 MiB of the volume, injects one fault while it writes, waits until the volume is Online again with
 * three in-sync children, then has fio re-read everything written so far. The faults, in an order shuffled by
 * {@code caspian.soak.seed}: a replica node killed (-9) and restarted, a replica node hung (SIGSTOP past the child
 * I/O timeout, then SIGCONT), the broker killed and restarted, the control node killed and restarted, write errors
 * injected on a child until it is faulted and replaced, and a replica's pool disk lost (its disk target killed: the
 * pool turns Faulted and the replica is replaced elsewhere; once the volume is whole again the disk comes back, and
 * its pool must be Online before the next cycle). Ends with one {@code RESULT} line; any verify error or cycle that
 * did not recover fails the test. CI runs {@code caspian.soak.cycles} = 6 (each fault once); {@code bench/soak} runs
 * more.
 */
class SoakIT {
    private static final long MIB = 1L << 20;
    private static final long VOLUME_BYTES = 48 * MIB;
    private static final long REGION_MB = 8;
    private static final Duration CHILD_IO_TIMEOUT = Duration.ofSeconds(6);
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(240);

    /** From the disk target's death to its pool Faulted: the pool disk's fault_after_ms plus margin. */
    private static final Duration POOL_FAULT_BOUND = Duration.ofSeconds(60);

    enum Fault { KILL_REPLICA_NODE, STOP_REPLICA_NODE, KILL_BROKER, KILL_CONTROL_NODE, MEDIA_ERRORS, POOL_DISK_LOST }

    private final List<RoleProcess> processes = new ArrayList<>();
    private final Map<String, RoleProcess> engines = new LinkedHashMap<>();
    private final Map<String, RoleProcess> disks = new LinkedHashMap<>();
    private RoleProcess control;
    private KafkaBroker broker;
    private Path work;
    private Api api;
    /** The node whose pool disk the last POOL_DISK_LOST took away, until it is back. */
    private String diskLost;
    private long t0;

    @AfterEach
    void stopAll() throws Exception {
        for (RoleProcess p : processes) {
            if (p.alive()) {
                p.signal("CONT");
            }
            p.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void everyCycleRecoversAndEveryBlockVerifies() throws Exception {
        int cycles = Integer.getInteger("caspian.soak.cycles", Fault.values().length);
        long seed = Long.getLong("caspian.soak.seed", System.nanoTime());
        t0 = System.nanoTime();
        work = Files.createDirectories(Path.of(System.getProperty("caspian.it.work", "target/it-work"))
                .resolve("soak-" + System.currentTimeMillis()));
        Fio fio = new Fio(work.resolve("fio.log"));
        String volume = startCluster();
        String device = api.put("/v0/volumes/" + volume + "/target?protocol=nbd", null).path("target")
                .path("device_uri").asText();
        awaitHealthy(volume);
        step("cluster up; volume " + volume + " published on " + device + "; seed " + seed + ", " + cycles
                + " cycles");

        List<Fault> order = order(cycles, new SplittableRandom(seed));
        int verifyErrors = 0;
        int unrecovered = 0;
        double maxStall = 0;
        double recoveryTotal = 0;
        long regions = VOLUME_BYTES / MIB / REGION_MB;
        for (int cycle = 0; cycle < cycles; cycle++) {
            Fault fault = order.get(cycle);
            long offsetMb = (cycle % regions) * REGION_MB;
            Path report = work.resolve("fio-" + cycle + ".json");
            Fio.Running writes = fio.startWriteAndVerify(device, offsetMb, REGION_MB, 2, report);
            Thread.sleep(1000);
            long faultAt = System.nanoTime();
            String detail = inject(fault, volume);
            try {
                writes.await();
            } catch (AssertionError e) {
                verifyErrors++;
                step("cycle " + cycle + ": fio's writes failed: " + e.getMessage());
            }
            try {
                awaitHealthy(volume);
            } catch (AssertionError e) {
                unrecovered++;
                step("cycle " + cycle + " " + fault + " (" + detail + ") did not recover: " + e.getMessage());
                for (RoleProcess p : processes) {
                    p.dumpThreads();
                }
                break;
            }
            double recovery = (System.nanoTime() - faultAt) / 1e9;
            recoveryTotal += recovery;
            double stall = Files.exists(report) ? writes.longestIoMillis() / 1000 : Double.NaN;
            maxStall = Double.isNaN(stall) ? maxStall : Math.max(maxStall, stall);
            long verified = Math.min(cycle + 1, regions) * REGION_MB;
            try {
                fio.verify(device, 0, verified);
            } catch (AssertionError e) {
                verifyErrors++;
                step("cycle " + cycle + ": verify failed: " + e.getMessage());
            }
            step(String.format(Locale.ROOT, "cycle %d %s (%s): recovered in %.1f s, longest I/O %.2f s, "
                    + "%d MiB verified", cycle, fault, detail, recovery, stall, verified));
            if (fault == Fault.POOL_DISK_LOST) {
                step("cycle " + cycle + ": " + returnDisk());
            }
        }
        long[] rebuilt = rebuildBlocks(volume);
        // The bus counts blocks of the nexus's block size (its disks'); a full rebuild copies the whole volume.
        long blockSize = rebuilt[2] > 0 ? VOLUME_BYTES / rebuilt[2] : 512;
        String result = String.format(Locale.ROOT, "RESULT cycles=%d verify_errors=%d max_stall_s=%.2f "
                + "mean_recovery_s=%.1f rebuild_bytes_full=%d rebuild_bytes_partial=%d unrecovered=%d",
                cycles, verifyErrors, maxStall, recoveryTotal / Math.max(1, cycles - unrecovered),
                rebuilt[0] * blockSize, rebuilt[1] * blockSize, unrecovered);
        System.out.println(result);
        Files.writeString(work.resolve("result.txt"), result + System.lineSeparator());
        assertEquals(0, unrecovered, "cycles that did not recover (logs in " + work + ")");
        assertEquals(0, verifyErrors, "fio verify errors (logs in " + work + ")");
    }

    /** Every fault once per round, each round in its own order. */
    private static List<Fault> order(int cycles, SplittableRandom random) {
        List<Fault> order = new ArrayList<>();
        while (order.size() < cycles) {
            List<Fault> round = new ArrayList<>(List.of(Fault.values()));
            for (int i = round.size() - 1; i > 0; i--) {
                java.util.Collections.swap(round, i, random.nextInt(i + 1));
            }
            order.addAll(round);
        }
        return order.subList(0, cycles);
    }

    private String startCluster() throws Exception {
        broker = KafkaBroker.start(work.resolve("kafka"));
        String kafka = broker.bootstrapServers();
        int controlPort = Ports.free();
        int restPort = Ports.free();
        List<Integer> enginePorts = List.of(Ports.free(), Ports.free(), Ports.free(), Ports.free());
        List<String> args = new ArrayList<>(List.of("control", "--data-dir", work.resolve("control").toString(),
                "--port", String.valueOf(controlPort), "--rest", "127.0.0.1:" + restPort,
                "--seed", "127.0.0.1:" + controlPort, "--kafka", kafka, "--faulted-child-wait", "20s"));
        enginePorts.forEach(p -> args.addAll(List.of("--seed", "127.0.0.1:" + p)));
        control = RoleProcess.start("control", work, args);
        processes.add(control);
        for (int i = 1; i <= enginePorts.size(); i++) {
            String node = "node-" + i;
            disks.put(node, RoleProcess.startMain(node + "-disk", work, DiskTarget.class, List.of(
                    String.valueOf(Ports.free()), "nqn.2024-01.io.caspian.it:soak-" + node,
                    work.resolve(node + "-disk.img").toAbsolutePath().toString(), "160")));
            RoleProcess e = RoleProcess.start(node, work, List.of("io-engine", "--node-id", node,
                    "--data-dir", work.resolve(node).toString(), "--port", String.valueOf(enginePorts.get(i - 1)),
                    "--seed", "127.0.0.1:" + controlPort, "--nbd-port", String.valueOf(Ports.free()),
                    "--nvmf-port", String.valueOf(Ports.free()), "--kafka", kafka,
                    "--child-io-timeout", CHILD_IO_TIMEOUT.toSeconds() + "s"));
            processes.add(e);
            engines.put(node, e);
        }
        processes.addAll(disks.values());
        api = new Api(restPort, work.resolve("control"));
        for (String node : engines.keySet()) {
            Waits.await(node + " online", Duration.ofSeconds(120), work,
                    () -> "Online".equals(api.get("/v0/nodes/" + node).path("status").asText()));
            RoleProcess disk = disks.get(node);
            disk.awaitLine(DiskTarget.READY, Duration.ofSeconds(60));
            api.put("/v0/nodes/" + node + "/pools/pool-" + node, "{\"disks\":[\"" + diskUri(disk) + "\"]}");
        }
        String volume = UUID.randomUUID().toString();
        api.put("/v0/volumes/" + volume, "{\"size\":" + VOLUME_BYTES + ",\"replicas\":3,\"thin\":false}");
        return volume;
    }

    /** Injects {@code fault} and undoes what must be undone (a restart, SIGCONT); what it hit. */
    private String inject(Fault fault, String volume) throws Exception {
        switch (fault) {
            case KILL_REPLICA_NODE -> {
                RoleProcess victim = engines.get(replicaNodeOffTheNexus(volume));
                victim.kill();
                Thread.sleep(4000);
                victim.restart();
                return victim.name();
            }
            case STOP_REPLICA_NODE -> {
                RoleProcess victim = engines.get(replicaNodeOffTheNexus(volume));
                victim.signal("STOP");
                Thread.sleep(CHILD_IO_TIMEOUT.toMillis() + 2000);
                victim.signal("CONT");
                return victim.name();
            }
            case KILL_BROKER -> {
                broker.kill();
                Thread.sleep(3000);
                broker.restart();
                return "broker";
            }
            case KILL_CONTROL_NODE -> {
                control.kill();
                Thread.sleep(3000);
                control.restart();
                return "control";
            }
            case MEDIA_ERRORS -> {
                String replica = remoteChild(volume);
                api.put("/v0/volumes/" + volume + "/children/" + replica + "/fault",
                        "{\"op\":\"write\",\"offset\":0,\"length\":" + VOLUME_BYTES + "}");
                return "replica " + replica;
            }
            case POOL_DISK_LOST -> {
                String node = replicaNodeOffTheNexus(volume);
                long lost = System.nanoTime();
                disks.get(node).kill();
                diskLost = node;
                Waits.await("pool-" + node + " Faulted", POOL_FAULT_BOUND, work,
                        () -> "Faulted".equals(api.get("/v0/pools/pool-" + node).path("status").asText()));
                return String.format(Locale.ROOT, "%s; its pool Faulted %.1f s after", node,
                        (System.nanoTime() - lost) / 1e9);
            }
        }
        throw new AssertionError(fault);
    }

    /** The disk of {@link #diskLost} put back, and its pool Online again. */
    private String returnDisk() throws Exception {
        String node = diskLost;
        diskLost = null;
        RoleProcess disk = disks.get(node);
        long back = System.nanoTime();
        disk.restart();
        disk.awaitLine(DiskTarget.READY, Duration.ofSeconds(60));
        Waits.await("pool-" + node + " Online again", RECOVERY_BOUND, work,
                () -> "Online".equals(api.get("/v0/pools/pool-" + node).path("status").asText()));
        return String.format(Locale.ROOT, "%s's disk back, its pool Online %.1f s after", node,
                (System.nanoTime() - back) / 1e9);
    }

    /** The pool disk URI of {@code disk}, a {@link DiskTarget}: {@code nvmf://127.0.0.1:PORT/NQN}. */
    private static String diskUri(RoleProcess disk) {
        return "nvmf://127.0.0.1:" + disk.arg(0) + "/" + disk.arg(1);
    }

    /** Online with three replicas, each an Online child of its nexus; the control node may be restarting. */
    private void awaitHealthy(String volume) throws Exception {
        Waits.await("volume " + volume + " Online with 3 in-sync replicas", RECOVERY_BOUND, work, () -> {
            JsonNode v = api.get("/v0/volumes/" + volume);
            JsonNode children = api.get("/v0/nexuses/" + volume).path("children");
            int online = 0;
            for (JsonNode c : children) {
                online += "Online".equals(c.path("state").asText()) ? 1 : 0;
            }
            return "Online".equals(v.path("status").asText()) && v.path("replicas").size() == 3
                    && children.size() == 3 && online == 3;
        });
    }

    private String replicaNodeOffTheNexus(String volume) throws Exception {
        String nexusNode = api.get("/v0/volumes/" + volume).path("target").path("node").asText();
        for (JsonNode child : api.get("/v0/nexuses/" + volume).path("children")) {
            String node = api.get("/v0/replicas/" + child.path("replica").asText()).path("node").asText();
            if (!node.equals(nexusNode)) {
                return node;
            }
        }
        throw new AssertionError("no replica off the nexus's node " + nexusNode);
    }

    private String remoteChild(String volume) throws Exception {
        for (JsonNode c : api.get("/v0/nexuses/" + volume).path("children")) {
            if (c.path("uri").asText().startsWith("nvmf://")) {
                return c.path("replica").asText();
            }
        }
        throw new AssertionError("no remote child of " + volume);
    }

    /**
     * Blocks copied by the volume's rebuilds as the io-engines announced them on the bus: {full, partial, the
     * blocks of one full rebuild}.
     */
    private long[] rebuildBlocks(String volume) throws IOException {
        long[] blocks = new long[3];
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo i : c.partitionsFor(BusTopics.IO_REBUILD, Duration.ofSeconds(30))) {
                parts.add(new TopicPartition(BusTopics.IO_REBUILD, i.partition()));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    BusEvent e = BusEvent.parseFrom(r.value());
                    if (e.getNexus().equals(volume) && e.hasRebuildStarted()) {
                        boolean partial = e.getRebuildStarted().getPartial();
                        blocks[partial ? 1 : 0] += e.getRebuildStarted().getBlocks();
                        blocks[2] = partial ? blocks[2] : e.getRebuildStarted().getBlocks();
                    }
                }
            }
        }
        return blocks;
    }

    private void step(String what) {
        System.out.printf("[SoakIT %6.1f s] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }
}
