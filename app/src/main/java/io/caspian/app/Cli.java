package io.caspian.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The verbs that talk to a running control plane's REST API: {@code get}, {@code create}, {@code publish},
 * {@code unpublish}, {@code delete}, {@code fault}. Output is a table, or the API's JSON with {@code -o json}; for
 * scripts, {@code create -q} prints only what it created (the pool's name, the volume's uuid) and {@code publish -q}
 * only the device URI.
 */
final class Cli {
    static final String DEFAULT_API = "http://127.0.0.1:" + Up.DEFAULT_REST_PORT;
    /** A little over the shortest interval between two reads the control plane makes rates of (200 ms). */
    private static final long RATE_WINDOW_MS = 250;

    /** The flags of every command that calls the API: where it is, how to trust it, how to be let in. */
    static final Set<String> API_FLAGS = Set.of("api", "token-file", "tls-ca");
    private static final Set<String> VALUED = RoleConfig.union(API_FLAGS, Set.of("output", "node", "disk", "label",
            "size", "replicas", "protocol", "op", "offset", "length", "count", "timeout", "host", "node-label",
            "pool-label", "rebuild-rate"));
    private static final Set<String> SWITCHES = Set.of("thin", "watch", "quiet", "overwrite");
    private static final Set<String> FAULT_OPS = Set.of("read", "write", "flush", "unmap", "write_zeroes");

    private final RestClient api;
    private final boolean json;
    private final PrintStream out;
    private final Flags flags;

    private Cli(Flags flags, PrintStream out) {
        this.flags = flags;
        this.api = api(flags);
        String o = flags.get("output", "table");
        if (!o.equals("table") && !o.equals("json")) {
            throw new UsageException("-o must be table or json, got '" + o + "'");
        }
        this.json = o.equals("json");
        if (json && flags.has("quiet")) {
            throw new UsageException("-q and -o json do not go together: -q prints only the id");
        }
        this.out = out;
    }

    /**
     * The API that {@code --api}, else {@code $CASPIAN_API}, else the default names, with the token
     * {@link CliToken} finds and the certificate of {@code --tls-ca} trusted.
     */
    static RestClient api(Flags flags) {
        Map<String, String> env = System.getenv();
        Path home = Path.of(System.getProperty("user.home"));
        Path workDir = Path.of("").toAbsolutePath();
        return new RestClient(flags.get("api").orElse(env.getOrDefault("CASPIAN_API", DEFAULT_API)),
                Duration.ofSeconds(60), CliToken.find(flags.get("token-file"), env, home, workDir),
                CliToken.lookedIn(env, home, workDir), flags.get("tls-ca").map(Path::of));
    }

    static void run(String verb, List<String> args, PrintStream out) {
        Flags f = Flags.parse(args, VALUED, SWITCHES);
        Cli cli = new Cli(f, out);
        List<String> p = f.positional();
        if (p.isEmpty()) {
            throw new UsageException(verb + " needs what: e.g. `caspian " + verb + " volume ...`");
        }
        String what = p.get(0);
        if (verb.equals("fault")) {
            cli.fault(what, p.subList(1, p.size()));
            return;
        }
        if (f.has("quiet") && !verb.equals("create") && !verb.equals("publish")) {
            throw new UsageException("-q/--quiet is for create and publish (they then print only the id or the device)");
        }
        String id = p.size() > 1 ? p.get(1) : null;
        if (p.size() > 2) {
            throw new UsageException("unexpected arguments after " + what + " " + id + ": " + p.subList(2, p.size()));
        }
        switch (verb) {
            case "get" -> cli.get(what, id);
            case "create" -> cli.create(what, id);
            case "publish" -> cli.publish(what, need(id, "publish volume <id>"), true);
            case "unpublish" -> cli.publish(what, need(id, "unpublish volume <id>"), false);
            case "delete" -> cli.delete(what, need(id, "delete " + what + " <id>"));
            case "set" -> cli.set(what, need(id, "set volume <id> --rebuild-rate R"));
            case "fault" -> throw new IllegalStateException("handled above");
            default -> throw new UsageException("unknown verb " + verb);
        }
    }

    /** Reads what {@code -o json} printed (tests and scripts). */
    static JsonNode parseJson(String text) {
        try {
            return RestClient.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("not JSON: " + text, e);
        }
    }

    private static String need(String id, String usage) {
        if (id == null) {
            throw new UsageException("missing id: caspian " + usage);
        }
        return id;
    }

    private static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private void get(String what, String id) {
        Kind k = Kind.of(what);
        if (flags.has("watch")) {
            if (k != Kind.VOLUME || id == null) {
                throw new UsageException("--watch takes one volume: caspian get volume <id> --watch");
            }
            watch(id);
            return;
        }
        JsonNode r = api.get(id == null ? k.path : k.path + "/" + seg(id));
        show(k, r);
        if (k == Kind.VOLUME && id != null && !json) {
            VolumeView.stats(out, statsOf(r, true));
            VolumeView.children(out, r, nexusOf(r));
        }
    }

    /**
     * A read of the volume's I/O stats, or null when it has none (not published, io-engine unavailable): stats are
     * extra, never a reason to fail the command. {@code withRates}: read again after the minimum interval for rates
     * when the first read has none.
     */
    private JsonNode statsOf(JsonNode volume, boolean withRates) {
        if (!volume.path("target").isObject()) {
            return null;
        }
        String path = "/v0/volumes/" + seg(volume.path("uuid").asText()) + "/stats";
        try {
            JsonNode s = api.get(path);
            if (withRates && !s.path("read_iops").isNumber()) {
                Up.sleep(RATE_WINDOW_MS);
                s = api.get(path);
            }
            return s;
        } catch (RestClient.RestException e) {
            return null;
        }
    }

    /** The volume's nexus view, or null when it is not published (no nexus) or the nexus is gone. */
    private JsonNode nexusOf(JsonNode volume) {
        if (!volume.path("target").isObject()) {
            return null;
        }
        try {
            return api.get("/v0/nexuses/" + seg(volume.path("uuid").asText()));
        } catch (RestClient.RestException e) {
            if (e.status() == 404) {
                return null;
            }
            throw e;
        }
    }

    /** Shows the volume every second until Ctrl-C or {@code --timeout}; clears the terminal between frames. */
    private void watch(String id) {
        long timeoutNanos = flags.get("timeout").map(t -> Durations.parse("timeout", t).toNanos()).orElse(0L);
        long end = System.nanoTime() + timeoutNanos;
        boolean tty = System.console() != null && out == System.out;
        while (true) {
            JsonNode v = api.get("/v0/volumes/" + seg(id));
            JsonNode n = nexusOf(v);
            if (tty) {
                out.print("\033[H\033[2J");
            }
            out.println("every 1s: caspian get volume " + id + "    " + java.time.LocalTime.now().withNano(0));
            if (json) {
                out.println(RestClient.JSON.createObjectNode().<ObjectNode>set("volume", v).set("nexus", n)
                        .toPrettyString());
            } else {
                Table.print(out, Kind.VOLUME.columns, List.of(v));
                VolumeView.stats(out, statsOf(v, false));
                VolumeView.children(out, v, n);
            }
            out.println();
            out.flush();
            if (timeoutNanos > 0 && System.nanoTime() - end >= 0) {
                return;
            }
            Up.sleep(1000);
        }
    }

    private void fault(String action, List<String> args) {
        if (args.size() != 2) {
            throw new UsageException("usage: caspian fault inject|clear <volume> <replica> (got " + args + ")");
        }
        String volume = args.get(0);
        JsonNode v = api.get("/v0/volumes/" + seg(volume));
        String replica = VolumeView.replica(v, args.get(1));
        String path = "/v0/volumes/" + seg(volume) + "/children/" + seg(replica) + "/fault";
        JsonNode nexus = switch (action) {
            case "inject" -> api.put(path, faultBody(flags, v.path("spec").path("size").asLong()));
            case "clear" -> api.delete(path);
            default -> throw new UsageException("fault takes inject or clear, got '" + action + "'");
        };
        if (json) {
            out.println(nexus.toPrettyString());
        } else {
            out.println((action.equals("inject") ? "fault armed on " : "faults cleared on ") + replica);
            show(Kind.NEXUS, nexus);
        }
    }

    /**
     * The body of {@code PUT .../fault} from {@code --op} (required), {@code --offset} (0), {@code --length} (up to
     * the end of the volume) and {@code --count} (omitted: until cleared).
     */
    static ObjectNode faultBody(Flags f, long volumeSize) {
        String op = f.get("op").orElseThrow(() -> new UsageException("fault inject needs --op " + FAULT_OPS));
        if (!FAULT_OPS.contains(op)) {
            throw new UsageException("--op must be one of " + new java.util.TreeSet<>(FAULT_OPS) + ", got '" + op + "'");
        }
        long offset = f.get("offset").map(o -> Sizes.parse("offset", o)).orElse(0L);
        if (offset >= volumeSize) {
            throw new UsageException("--offset " + offset + " is past the end of the volume (" + volumeSize + " bytes)");
        }
        long length = f.get("length").map(l -> Sizes.parse("length", l)).orElse(volumeSize - offset);
        ObjectNode body = RestClient.JSON.createObjectNode().put("op", op).put("offset", offset).put("length", length);
        if (f.has("count")) {
            body.put("count", f.integer("count", 1, 1, Integer.MAX_VALUE));
        }
        return body;
    }

    private void create(String what, String id) {
        switch (what) {
            case "pool" -> {
                String name = need(id, "create pool <name> --node N --disk URI [--overwrite]");
                String node = flags.get("node").orElseThrow(() -> new UsageException("create pool needs --node"));
                String disk = flags.get("disk").orElseThrow(() -> new UsageException(
                        "create pool needs --disk URI (e.g. malloc:///" + name + "?size_mb=64)"));
                ObjectNode body = RestClient.JSON.createObjectNode();
                body.putArray("disks").add(disk);
                ObjectNode labels = body.putObject("labels");
                labels(flags.all("label")).forEach(labels::put);
                if (flags.has("overwrite")) {
                    // Only on request: the io-engine then formats a disk that holds data or a signature.
                    body.put("overwrite", true);
                }
                JsonNode pool = api.put("/v0/nodes/" + seg(node) + "/pools/" + seg(name), body);
                if (quiet()) {
                    out.println(pool.path("id").asText());
                } else {
                    show(Kind.POOL, pool);
                }
            }
            case "volume" -> {
                String uuid = id == null ? UUID.randomUUID().toString() : id;
                JsonNode volume = api.put("/v0/volumes/" + seg(uuid), volumeBody(flags));
                if (quiet()) {
                    out.println(volume.path("uuid").asText());
                } else {
                    show(Kind.VOLUME, volume);
                }
            }
            default -> throw new UsageException("create takes pool or volume, got '" + what + "'");
        }
    }

    /**
     * The body of {@code PUT /v0/volumes/<uuid>} from {@code --size} (required), {@code --replicas} (1),
     * {@code --thin}, and the placement constraints {@code --node-label k=v} and {@code --pool-label k=v}
     * (repeatable; a replica goes only to a node, a pool, that carries every one of them).
     */
    static ObjectNode volumeBody(Flags f) {
        long size = Sizes.parse("size", f.get("size").orElseThrow(() -> new UsageException(
                "create volume needs --size (e.g. 64MiB)")));
        int replicas = f.integer("replicas", 1, 1, 64);
        ObjectNode body = RestClient.JSON.createObjectNode().put("size", size).put("replicas", replicas)
                .put("thin", f.has("thin"));
        if (f.has("node-label") || f.has("pool-label")) {
            ObjectNode topology = body.putObject("topology");
            ObjectNode nodes = topology.putObject("node_labels");
            labels(f.all("node-label")).forEach(nodes::put);
            ObjectNode pools = topology.putObject("pool_labels");
            labels(f.all("pool-label")).forEach(pools::put);
        }
        return body;
    }

    private boolean quiet() {
        return flags.has("quiet");
    }

    /**
     * {@code set volume <id> --rebuild-rate R}: caps the copy bandwidth of the volume's rebuilds at R per second
     * ({@code 64MiB}; {@code 0} or {@code none} lifts the cap) until its nexus is re-created.
     */
    private void set(String what, String id) {
        if (!what.equals("volume")) {
            throw new UsageException("set takes volume, got '" + what + "'");
        }
        String rate = flags.get("rebuild-rate").orElseThrow(() -> new UsageException(
                "set volume needs what to set: --rebuild-rate R (per second, like 64MiB; 0 or none: no cap)"));
        long bytes = rate.equals("0") || rate.equals("none") ? 0 : Sizes.parse("rebuild-rate", rate);
        JsonNode n = api.put("/v0/volumes/" + seg(id) + "/rebuild_rate/" + bytes, null);
        if (json) {
            out.println(n.toPrettyString());
        } else {
            long now = n.path("rebuild_bytes_per_second").asLong();
            out.println("volume " + id + ": rebuilds on node " + n.path("node").asText() + " "
                    + (now == 0 ? "uncapped" : "capped at " + Sizes.format(now) + "/s")
                    + " (and yielding to the volume's own I/O)");
        }
    }

    private void publish(String what, String id, boolean publish) {
        if (!what.equals("volume")) {
            throw new UsageException((publish ? "" : "un") + "publish takes volume, got '" + what + "'");
        }
        if (publish) {
            String protocol = flags.get("protocol", "nbd");
            if (!protocol.equals("nbd") && !protocol.equals("nvmf")) {
                throw new UsageException("--protocol must be nbd or nvmf, got '" + protocol + "'");
            }
            List<String> hosts = flags.all("host");
            if (!hosts.isEmpty() && !protocol.equals("nvmf")) {
                throw new UsageException("--host names NVMe host NQNs: it needs --protocol nvmf");
            }
            StringBuilder q = new StringBuilder("?protocol=" + protocol);
            flags.get("node").ifPresent(n -> q.append("&node=").append(seg(n)));
            hosts.forEach(h -> q.append("&host=").append(seg(h)));
            JsonNode v = api.put("/v0/volumes/" + seg(id) + "/target" + q, null);
            if (quiet()) {
                out.println(v.path("target").path("device_uri").asText());
            } else if (json) {
                out.println(v.toPrettyString());
            } else {
                show(Kind.VOLUME, v);
                out.println();
                out.println("device: " + v.path("target").path("device_uri").asText());
            }
        } else {
            show(Kind.VOLUME, api.delete("/v0/volumes/" + seg(id) + "/target"));
        }
    }

    private void delete(String what, String id) {
        switch (what) {
            case "volume" -> api.delete("/v0/volumes/" + seg(id));
            case "pool" -> {
                String node = flags.get("node").orElseGet(() -> api.get("/v0/pools/" + seg(id)).path("node").asText());
                api.delete("/v0/nodes/" + seg(node) + "/pools/" + seg(id));
            }
            default -> throw new UsageException("delete takes pool or volume, got '" + what + "'");
        }
        if (!json) {
            out.println(what + " " + id + " deleted");
        }
    }

    private void show(Kind k, JsonNode r) {
        if (json) {
            out.println(r.toPrettyString());
            return;
        }
        List<JsonNode> rows = new ArrayList<>();
        if (r.isArray()) {
            r.forEach(rows::add);
        } else {
            rows.add(r);
        }
        Table.print(out, k.columns, rows);
    }

    private static Map<String, String> labels(List<String> raw) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (String l : raw) {
            int eq = l.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("--label must be key=value, got '" + l + "'");
            }
            m.put(l.substring(0, eq), l.substring(eq + 1));
        }
        return m;
    }

    /** The first block of a uuid, enough to tell children apart in a table. */
    static String shortId(String id) {
        int dash = id.indexOf('-');
        return dash > 0 ? id.substring(0, dash) : id;
    }

    /** What {@code get} can list, with its API path and table columns. */
    private enum Kind {
        NODE("/v0/nodes", List.of(Table.text("ID", "id"), Table.text("STATUS", "status"),
                Table.text("ENDPOINT", "endpoint"), new Table.Column("CORDONED", n -> n.path("cordoned").asText()),
                new Table.Column("LABELS", n -> Table.labels(n.get("labels"))))),
        POOL("/v0/pools", List.of(Table.text("ID", "id"), Table.text("NODE", "node"), Table.text("STATUS", "status"),
                Table.bytes("CAPACITY", "capacity"), Table.bytes("USED", "used"), Table.bytes("COMMITTED", "committed"),
                new Table.Column("DISKS", n -> Table.join(n.path("disks"))))),
        REPLICA("/v0/replicas", List.of(Table.text("UUID", "uuid"), Table.text("POOL", "pool"),
                Table.text("NODE", "node"), Table.bytes("SIZE", "size"),
                new Table.Column("THIN", n -> n.path("thin").asText()), Table.text("STATUS", "status"),
                Table.text("VOLUME", "volume"), Table.text("URI", "uri"))),
        NEXUS("/v0/nexuses", List.of(Table.text("UUID", "uuid"), Table.text("NODE", "node"),
                Table.bytes("SIZE", "size"), Table.text("STATUS", "status"), Table.text("PROTOCOL", "protocol"),
                new Table.Column("CHILDREN", n -> {
                    List<String> c = new ArrayList<>();
                    n.path("children").forEach(ch -> c.add(shortId(ch.path("replica").asText(ch.path("uri").asText()))
                            + ":" + ch.path("state").asText()));
                    return String.join(",", c);
                }), Table.text("DEVICE", "device_uri"))),
        VOLUME("/v0/volumes", List.of(Table.text("UUID", "uuid"),
                new Table.Column("SIZE", n -> Sizes.format(n.path("spec").path("size").asLong())),
                new Table.Column("REPLICAS", n -> n.path("spec").path("replicas").asText()),
                new Table.Column("THIN", n -> n.path("spec").path("thin").asText()), Table.text("STATUS", "status"),
                new Table.Column("TARGET", n -> n.path("target").isObject()
                        ? n.path("target").path("node").asText() + "/" + n.path("target").path("protocol").asText()
                        : ""),
                new Table.Column("DEVICE", n -> n.path("target").path("device_uri").asText(""))));

        final String path;
        final List<Table.Column> columns;

        Kind(String path, List<Table.Column> columns) {
            this.path = path;
            this.columns = columns;
        }

        static Kind of(String what) {
            return switch (what) {
                case "node", "nodes" -> NODE;
                case "pool", "pools" -> POOL;
                case "replica", "replicas" -> REPLICA;
                case "nexus", "nexuses" -> NEXUS;
                case "volume", "volumes" -> VOLUME;
                default -> throw new UsageException("get takes nodes, pools, replicas, nexuses or volumes "
                        + "(or one of them by id), got '" + what + "'");
            };
        }
    }
}
