package io.caspian.control.service;

import io.caspian.control.service.VolumeStatsService.Rates;
import io.caspian.events.ioengine.NexusStats;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The previous counter read of each volume, kept in memory to turn two reads into rates. Counters are cumulative
 * since the nexus opened, so a rate needs two reads of the same nexus on the same node that are neither too close
 * (noise) nor too far apart (an average over minutes says nothing about now).
 */
final class StatsHistory {
    static final Duration MIN_INTERVAL = Duration.ofMillis(200);
    static final Duration MAX_INTERVAL = Duration.ofSeconds(60);

    private record Sample(String node, long timeMs, NexusStats stats) {
    }

    private final Map<String, Sample> last = new ConcurrentHashMap<>();
    private volatile long prunedMs;

    /**
     * Records a read and returns the rates since the previous one, or null when there is no usable previous read.
     * A read sooner than {@link #MIN_INTERVAL} after the previous one leaves it in place, so that a client polling
     * faster still gets rates over a long enough window.
     */
    Rates record(String volume, String node, long timeMs, NexusStats stats) {
        prune(timeMs);
        Sample now = new Sample(node, timeMs, stats);
        Rates[] out = new Rates[1];
        last.compute(volume, (k, prev) -> {
            if (prev == null || !prev.node().equals(node) || !prev.stats().nexus().equals(stats.nexus())) {
                return now;
            }
            long ms = timeMs - prev.timeMs();
            if (ms < MIN_INTERVAL.toMillis()) {
                return prev;
            }
            if (ms <= MAX_INTERVAL.toMillis()) {
                out[0] = rates(prev.stats(), stats, ms);
            }
            return now;
        });
        return out[0];
    }

    /** Null when a counter went back: the nexus was opened anew (an io-engine restart) between the reads. */
    private static Rates rates(NexusStats a, NexusStats b, long ms) {
        long r = b.readOps() - a.readOps();
        long w = b.writeOps() - a.writeOps();
        long rb = b.bytesRead() - a.bytesRead();
        long wb = b.bytesWritten() - a.bytesWritten();
        if (r < 0 || w < 0 || rb < 0 || wb < 0) {
            return null;
        }
        double s = ms / 1000.0;
        return new Rates(r / s, w / s, rb / s, wb / s);
    }

    /** Drops the reads of volumes nobody asked about for a while (destroyed ones among them), at most once a window. */
    private void prune(long nowMs) {
        if (nowMs - prunedMs < MAX_INTERVAL.toMillis()) {
            return;
        }
        prunedMs = nowMs;
        last.values().removeIf(s -> nowMs - s.timeMs() > MAX_INTERVAL.toMillis());
    }
}
