package io.caspian.app;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code caspian events}: the audit log ({@code GET /v0/events}) as a table or JSON, e.g. "why is volume X
 * degraded?" as {@code caspian events --volume X --since 1h}; {@code --follow} keeps printing new events.
 */
final class EventsCli {
    static final Set<String> VALUED = RoleConfig.union(Cli.API_FLAGS, Set.of("output", "volume", "node", "entity",
            "type", "since", "until", "limit", "order", "cursor", "timeout"));
    static final Set<String> SWITCHES = Set.of("follow");
    private static final Duration POLL = Duration.ofSeconds(1);

    private static final List<Table.Column> COLUMNS = List.of(Table.text("TIME", "time"),
            new Table.Column("ENTITY", n -> n.path("entity_type").asText() + " " + n.path("entity_id").asText()),
            Table.text("TYPE", "type"), Table.text("NODE", "node"), Table.text("VOLUME", "volume"),
            new Table.Column("DETAIL", n -> detail(n.path("payload"))));

    private EventsCli() {
    }

    static void run(List<String> args, PrintStream out) {
        Flags f = Flags.parse(args, VALUED, SWITCHES);
        if (!f.positional().isEmpty()) {
            throw new UsageException("events takes flags only, got " + f.positional());
        }
        f.integer("limit", 100, 1, 1000);
        String o = f.get("output", "table");
        if (!o.equals("table") && !o.equals("json")) {
            throw new UsageException("-o must be table or json, got '" + o + "'");
        }
        RestClient api = Cli.api(f);
        boolean json = o.equals("json");
        if (!f.has("follow")) {
            JsonNode page = api.get("/v0/events" + query(f, Map.of()));
            print(out, json, page.path("events"), true);
            if (!json && !page.path("next_cursor").isNull() && !page.path("next_cursor").isMissingNode()) {
                out.println("(more: --cursor " + page.path("next_cursor").asText() + ")");
            }
            return;
        }
        follow(api, f, out, json);
    }

    /**
     * Prints what matches, then polls for newer events, oldest first, until {@code --timeout} (default: until
     * stopped). Events sharing the newest time are remembered by id so that none prints twice.
     */
    private static void follow(RestClient api, Flags f, PrintStream out, boolean json) {
        long timeoutS = f.integer("timeout", 0, 0, Integer.MAX_VALUE);
        long deadline = timeoutS == 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutS * 1_000_000_000L;
        String since = f.get("since").orElse(null);
        Set<String> seenAtNewest = new HashSet<>();
        boolean header = true;
        while (true) {
            Map<String, String> over = new LinkedHashMap<>();
            over.put("order", "asc");
            if (since != null) {
                over.put("since", since);
            }
            JsonNode events = api.get("/v0/events" + query(f, over)).path("events");
            List<JsonNode> fresh = new ArrayList<>();
            for (JsonNode e : events) {
                if (!seenAtNewest.contains(e.path("event_id").asText())) {
                    fresh.add(e);
                }
            }
            if (!fresh.isEmpty()) {
                print(out, json, RestClient.JSON.valueToTree(fresh), header);
                header = false;
                String newest = fresh.get(fresh.size() - 1).path("time").asText();
                if (!newest.equals(since)) {
                    seenAtNewest.clear();
                }
                since = newest;
                for (JsonNode e : fresh) {
                    if (e.path("time").asText().equals(newest)) {
                        seenAtNewest.add(e.path("event_id").asText());
                    }
                }
            }
            out.flush();
            if (System.nanoTime() >= deadline) {
                return;
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The query string for the filter flags; {@code over} replaces flags of the same name. */
    static String query(Flags f, Map<String, String> over) {
        Map<String, String> q = new LinkedHashMap<>();
        for (String k : List.of("volume", "node", "entity", "type", "since", "until", "limit", "order", "cursor")) {
            f.get(k).ifPresent(v -> q.put(k, v));
        }
        q.putAll(over);
        StringBuilder sb = new StringBuilder();
        q.forEach((k, v) -> sb.append(sb.length() == 0 ? '?' : '&').append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return sb.toString();
    }

    private static void print(PrintStream out, boolean json, JsonNode events, boolean header) {
        if (json) {
            events.forEach(e -> out.println(e.toString()));
            return;
        }
        List<JsonNode> rows = new ArrayList<>();
        events.forEach(rows::add);
        if (rows.isEmpty() && header) {
            out.println("no events");
            return;
        }
        Table.print(out, COLUMNS, rows, header);
    }

    /** The payload's fields as {@code k=v}, cut short so a row stays on one line. */
    static String detail(JsonNode payload) {
        if (payload == null || !payload.isObject()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        payload.fields().forEachRemaining(e -> parts.add(e.getKey() + "=" + (e.getValue().isValueNode()
                ? e.getValue().asText() : e.getValue().toString())));
        String s = String.join(" ", parts);
        return s.length() > 100 ? s.substring(0, 97) + "..." : s;
    }
}
