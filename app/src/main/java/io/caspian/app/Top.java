package io.caspian.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code caspian top}: every volume's I/O rates, busiest first, redrawn every second until Ctrl-C, {@code --timeout}
 * or {@code --iterations}. Rates come from this command's two latest reads of {@code /v0/volumes/<id>/stats}; on
 * the first frame, from the control plane's own (its previous read of the volume, when there is one).
 */
final class Top {
    static final Set<String> VALUED = RoleConfig.union(Cli.API_FLAGS, Set.of("timeout", "iterations"));
    private static final String CLEAR = "\033[H\033[2J";
    private static final long FRAME_MS = 1000;
    private static final List<Table.Column> COLUMNS = List.of(Table.text("VOLUME", "volume"),
            Table.text("NODE", "node"), Table.text("R-IOPS", "r_iops"), Table.text("W-IOPS", "w_iops"),
            Table.text("R-MB/s", "r_mbps"), Table.text("W-MB/s", "w_mbps"), Table.text("STATUS", "status"));

    /** A volume's last read: the counters and when the control plane took them. */
    private record Sample(String node, long timeMs, long readOps, long writeOps, long bytesRead, long bytesWritten) {
        static Sample of(JsonNode s) {
            return new Sample(s.path("node").asText(), s.path("time_ms").asLong(), s.path("read_ops").asLong(),
                    s.path("write_ops").asLong(), s.path("bytes_read").asLong(), s.path("bytes_written").asLong());
        }
    }

    /** Per-second rates; {@code total} orders the rows. */
    private record Rates(double readIops, double writeIops, double readBps, double writeBps) {
        double total() {
            return readIops + writeIops;
        }
    }

    private record Row(JsonNode cells, double order) {
    }

    private final RestClient api;
    private final PrintStream out;
    private final Map<String, Sample> last = new HashMap<>();

    private Top(RestClient api, PrintStream out) {
        this.api = api;
        this.out = out;
    }

    static void run(List<String> args, PrintStream out) {
        Flags f = Flags.parse(args, VALUED, Set.of());
        if (!f.positional().isEmpty()) {
            throw new UsageException("top takes no arguments, got " + f.positional());
        }
        long timeoutNanos = f.get("timeout").map(t -> Durations.parse("timeout", t).toNanos()).orElse(0L);
        int iterations = f.integer("iterations", 0, 1, Integer.MAX_VALUE);
        Top top = new Top(Cli.api(f), out);
        long start = System.nanoTime();
        for (int frame = 1; ; frame++) {
            top.frame();
            if (iterations > 0 && frame >= iterations
                    || timeoutNanos > 0 && System.nanoTime() - start >= timeoutNanos) {
                return;
            }
            // On the second's tick, however long the reads took, so frames stay a second apart on average.
            long next = start + frame * FRAME_MS * 1_000_000;
            Up.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
        }
    }

    private void frame() {
        JsonNode volumes = api.get("/v0/volumes");
        List<Row> rows = new ArrayList<>();
        volumes.forEach(v -> rows.add(row(v)));
        rows.sort(Comparator.comparingDouble(Row::order).reversed()
                .thenComparing(r -> r.cells().path("volume").asText()));
        last.keySet().retainAll(rows.stream().map(r -> r.cells().path("volume").asText()).toList());
        out.print(CLEAR);
        out.println("caspian top: " + rows.size() + " volumes, by total IOPS, every 1s    " + LocalTime.now()
                .withNano(0) + "    (Ctrl-C quits)");
        out.println();
        Table.print(out, COLUMNS, rows.stream().map(Row::cells).toList());
        out.flush();
    }

    /** One volume's line; {@code -} in the rate columns when it is unpublished or its stats did not come. */
    private Row row(JsonNode volume) {
        String id = volume.path("uuid").asText();
        ObjectNode cells = RestClient.JSON.createObjectNode().put("volume", id)
                .put("status", volume.path("status").asText());
        if (!volume.path("target").isObject()) {
            cells.put("node", "-").put("status", volume.path("status").asText() + ", unpublished");
            last.remove(id);
            return new Row(cells, -1);
        }
        cells.put("node", volume.path("target").path("node").asText());
        JsonNode stats;
        try {
            stats = api.get("/v0/volumes/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "/stats");
        } catch (RestClient.RestException e) {
            cells.put("status", volume.path("status").asText() + ", no stats (" + Table.lower(e.kind()) + ")");
            last.remove(id);
            return new Row(cells, -1);
        }
        Sample now = Sample.of(stats);
        Rates r = rates(last.put(id, now), now, stats);
        if (r == null) {
            return new Row(cells, 0);
        }
        cells.put("r_iops", VolumeView.iops(r.readIops())).put("w_iops", VolumeView.iops(r.writeIops()))
                .put("r_mbps", VolumeView.mbps(r.readBps())).put("w_mbps", VolumeView.mbps(r.writeBps()));
        return new Row(cells, r.total());
    }

    /**
     * Between this command's previous read and this one when both are of the same nexus and the counters did not go
     * back (a restarted io-engine counts from zero); else the control plane's rates, which may be null as well.
     */
    private static Rates rates(Sample prev, Sample now, JsonNode stats) {
        long ms = prev == null ? 0 : now.timeMs() - prev.timeMs();
        if (prev != null && ms > 0 && prev.node().equals(now.node()) && now.readOps() >= prev.readOps()
                && now.writeOps() >= prev.writeOps() && now.bytesRead() >= prev.bytesRead()
                && now.bytesWritten() >= prev.bytesWritten()) {
            double s = ms / 1000.0;
            return new Rates((now.readOps() - prev.readOps()) / s, (now.writeOps() - prev.writeOps()) / s,
                    (now.bytesRead() - prev.bytesRead()) / s, (now.bytesWritten() - prev.bytesWritten()) / s);
        }
        if (!stats.path("read_iops").isNumber()) {
            return null;
        }
        return new Rates(stats.path("read_iops").asDouble(), stats.path("write_iops").asDouble(),
                stats.path("read_bps").asDouble(), stats.path("write_bps").asDouble());
    }
}
