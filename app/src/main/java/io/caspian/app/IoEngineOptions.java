package io.caspian.app;

import com.typesafe.config.Config;
import io.caspian.datanode.DiskAllowList;
import io.caspian.kafka.KafkaClientSecurity;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One io-engine's settings as the {@code caspian} command knows them ({@code caspian.io-engine.*}); {@code kafka}
 * is the bus's bootstrap list, empty for no bus, and {@code kafkaSecurity} how the io-engine authenticates to it
 * ({@code caspian.kafka.client}); {@code metricsIo} whether its nexuses and replicas count their reads
 * and writes for the metrics; {@code diskAllow} the disks its pools may be on ({@code --disk-allow}), empty for the
 * defaults of its data directory.
 */
public record IoEngineOptions(String nodeId, Path dataDir, String listenHost, int nbdPort, int nvmfPort,
                       Map<String, String> labels, List<String> disks, String kafka, KafkaClientSecurity kafkaSecurity,
                       boolean metricsIo, List<String> diskAllow) {
    public IoEngineOptions {
        labels = Map.copyOf(labels);
        diskAllow = List.copyOf(diskAllow);
        disks = List.copyOf(disks);
        kafka = kafka == null ? "" : kafka;
        kafkaSecurity = kafkaSecurity == null ? KafkaClientSecurity.NONE : kafkaSecurity;
    }

    /** An io-engine without the bus. */
    public IoEngineOptions(String nodeId, Path dataDir, String listenHost, int nbdPort, int nvmfPort,
                           Map<String, String> labels, List<String> disks) {
        this(nodeId, dataDir, listenHost, nbdPort, nvmfPort, labels, disks, "", KafkaClientSecurity.NONE, true,
                List.of());
    }

    public static IoEngineOptions fromConfig(Config config) {
        Config c = config.getConfig("caspian.io-engine");
        int nvmf = c.getInt("nvmf-port");
        String id = c.getString("node-id").isBlank() ? "io-engine-" + nvmf : c.getString("node-id");
        if (!io.caspian.control.rest.Names.isName(id)) {
            // The API refuses any other node name, so such a node could never be addressed.
            throw new UsageException("--node-id must be a Kubernetes-style name (lower-case letters, digits, '-' and "
                    + "'.', starting and ending with a letter or digit, at most 253), got '" + id + "'");
        }
        Map<String, String> labels = new TreeMap<>();
        c.getConfig("labels").entrySet().forEach(e -> labels.put(e.getKey(), e.getValue().unwrapped().toString()));
        List<String> diskAllow = c.getStringList("disk-allow");
        if (!diskAllow.isEmpty()) {
            try {
                DiskAllowList.of(diskAllow);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--disk-allow: " + e.getMessage());
            }
        }
        return new IoEngineOptions(id, Path.of(config.getString("caspian.data-dir")).toAbsolutePath(),
                c.getString("listen-host"), c.getInt("nbd-port"), nvmf, labels, c.getStringList("disks"), c.getString("kafka"),
                KafkaClientSecurity.fromConfig(config), c.getBoolean("metrics-io"), diskAllow);
    }

    IoEngineOptions withDisks(List<String> d) {
        return new IoEngineOptions(nodeId, dataDir, listenHost, nbdPort, nvmfPort, labels, d, kafka, kafkaSecurity,
                metricsIo, diskAllow);
    }
}
