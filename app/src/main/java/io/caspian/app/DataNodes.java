package io.caspian.app;

import io.caspian.datanode.DataNode;
import io.caspian.datanode.DataNodeSettings;
import io.caspian.datanode.metrics.IoEngineMetrics;
import io.caspian.events.ioengine.IoEngineCommand;
import org.apache.pekko.actor.typed.Behavior;

/** The one place where the app meets the io-engine's {@code DataNode} actor. */
public final class DataNodes {
    private DataNodes() {
    }

    /**
     * The DataNode of one io-engine: NBD and NVMe/TCP on {@code listenHost}, pools re-imported at start, its nexuses
     * published on the Kafka bus when {@code o.kafka()} names one.
     */
    public static Behavior<IoEngineCommand> behavior(IoEngineOptions o) {
        return behavior(o, null);
    }

    /** As {@link #behavior(IoEngineOptions)}, its pools and volumes shown by {@code metrics} (null: nowhere). */
    public static Behavior<IoEngineCommand> behavior(IoEngineOptions o, IoEngineMetrics metrics) {
        return DataNode.create(settings(o), metrics);
    }

    /** The settings of {@code o}: the default disk allow list of its data directory unless it names one. */
    static DataNodeSettings settings(IoEngineOptions o) {
        DataNodeSettings s = new DataNodeSettings(o.nodeId(), o.dataDir(), o.labels(), o.listenHost(),
                o.nvmfPort(), o.listenHost(), o.nbdPort(), o.disks())
                .withKafka(o.kafka(), DataNodeSettings.DEFAULT_ERROR_COUNTS_INTERVAL)
                .withKafkaSecurity(o.kafkaSecurity())
                .withIoMetrics(o.metricsIo());
        return o.diskAllow().isEmpty() ? s : s.withDiskAllow(o.diskAllow());
    }
}
