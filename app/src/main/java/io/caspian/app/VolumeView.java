package io.caspian.app;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of {@code get volume <id>} below its table row: its I/O rates, why it is short of replicas, and its
 * nexus's children with a progress bar for each one rebuilding.
 */
final class VolumeView {
    static final int BAR_WIDTH = 20;

    private VolumeView() {
    }

    static void children(PrintStream out, JsonNode volume, JsonNode nexus) {
        String reason = volume.path("reason").asText("");
        out.println("reason: " + (volume.path("reason").isNull() || reason.isEmpty() ? "-" : reason));
        if (nexus == null || !nexus.path("children").isArray()) {
            out.println("children: - (not published)");
            return;
        }
        out.println("children (nexus on " + nexus.path("node").asText() + ", " + nexus.path("status").asText() + "):");
        List<JsonNode> rows = new ArrayList<>();
        nexus.path("children").forEach(rows::add);
        Table.print(out, List.of(new Table.Column("  REPLICA", c -> "  " + c.path("replica").asText("")),
                Table.text("STATE", "state"),
                new Table.Column("REBUILD", c -> progress(c.path("rebuild_progress").asInt(-1))),
                Table.text("REASON", "reason"), Table.text("URI", "uri")), rows);
    }

    /**
     * {@code stats: read 12.0 IOPS 0.05 MB/s, write 3.0 IOPS 0.01 MB/s (nexus on node-1)} from a read of
     * {@code /v0/volumes/<id>/stats}; nothing without one (the volume is not published, or its io-engine did not
     * answer). Counters instead of rates when the read has none.
     */
    static void stats(PrintStream out, JsonNode stats) {
        if (stats == null) {
            return;
        }
        String where = " (nexus on " + stats.path("node").asText() + ")";
        if (stats.path("read_iops").isNumber()) {
            out.println("stats: read " + iops(stats.path("read_iops").asDouble()) + " IOPS "
                    + mbps(stats.path("read_bps").asDouble()) + " MB/s, write "
                    + iops(stats.path("write_iops").asDouble()) + " IOPS " + mbps(stats.path("write_bps").asDouble())
                    + " MB/s" + where);
        } else {
            out.println("stats: " + stats.path("read_ops").asLong() + " reads ("
                    + Sizes.format(stats.path("bytes_read").asLong()) + "), " + stats.path("write_ops").asLong()
                    + " writes (" + Sizes.format(stats.path("bytes_written").asLong()) + ") so far" + where);
        }
    }

    static String iops(double perSecond) {
        return String.format(java.util.Locale.ROOT, "%.1f", perSecond);
    }

    /** MB/s with MB = 2^20 bytes, as the sizes elsewhere in the CLI. */
    static String mbps(double bytesPerSecond) {
        return String.format(java.util.Locale.ROOT, "%.2f", bytesPerSecond / (1 << 20));
    }

    /** {@code [#########...........] 47%} for 0..100, empty when no rebuild runs (negative). */
    static String progress(int percent) {
        if (percent < 0) {
            return "";
        }
        int p = Math.min(percent, 100);
        int done = p * BAR_WIDTH / 100;
        return "[" + "#".repeat(done) + ".".repeat(BAR_WIDTH - done) + "] " + p + "%";
    }

    /** The replica of {@code volume} named by its uuid or a prefix of it that matches exactly one. */
    static String replica(JsonNode volume, String idOrPrefix) {
        List<String> matches = new ArrayList<>();
        for (JsonNode r : volume.path("replicas")) {
            if (r.asText().equals(idOrPrefix)) {
                return idOrPrefix;
            }
            if (r.asText().startsWith(idOrPrefix)) {
                matches.add(r.asText());
            }
        }
        if (matches.size() == 1) {
            return matches.get(0);
        }
        throw new UsageException((matches.isEmpty() ? "no replica '" : "more than one replica starts with '")
                + idOrPrefix + "' in volume " + volume.path("uuid").asText() + " (its replicas: "
                + Table.join(volume.path("replicas")) + ")");
    }
}
