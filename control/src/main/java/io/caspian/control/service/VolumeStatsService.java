package io.caspian.control.service;

import io.caspian.control.entity.Reply;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.control.observed.IoEngineClient;
import io.caspian.events.ioengine.NexusStats;
import java.time.Clock;
import java.time.Duration;

/**
 * Live I/O stats of a published volume: its nexus's counters read from the io-engine that runs it, with rates since
 * this control node's previous read of the volume (see {@link StatsHistory}).
 */
public final class VolumeStatsService {
    /**
     * One read.
     *
     * @param timeMs when the counters were read (epoch ms)
     * @param rates since the previous read; null when there is none usable
     */
    public record VolumeStats(String volume, String node, long timeMs, NexusStats counters,
                              Rates rates) {
    }

    /** Per-second rates between two reads: operations and bytes. */
    public record Rates(double readIops, double writeIops, double readBps, double writeBps) {
    }

    private final Entities entities;
    private final IoEngineClient io;
    private final Clock clock;
    private final Duration ioTimeout;
    private final StatsHistory history = new StatsHistory();

    public VolumeStatsService(Entities entities, IoEngineClient io, Clock clock, Duration ioTimeout) {
        this.entities = entities;
        this.io = io;
        this.clock = clock;
        this.ioTimeout = ioTimeout;
    }

    /** Fails, recording nothing, when the volume does not exist, is not published or its io-engine cannot answer. */
    public VolumeStats read(String id) {
        VolumeState v = entities.volume(id).orElseThrow(() -> new ControlException(Reply.Kind.NOT_FOUND,
                "volume '" + id + "' does not exist"));
        if (!v.published()) {
            throw new ControlException(Reply.Kind.CONFLICT, "volume '" + id + "' is not published: only a published "
                    + "volume has a nexus that counts its I/O");
        }
        NexusStats s = Await.result(io.nexusStats(v.targetNode(), v.nexus()), ioTimeout.plusSeconds(1),
                "read the I/O stats of volume '" + id + "'");
        long now = clock.millis();
        return new VolumeStats(id, v.targetNode(), now, s, history.record(id, v.targetNode(), now, s));
    }
}
