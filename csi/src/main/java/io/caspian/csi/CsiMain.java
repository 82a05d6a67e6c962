package io.caspian.csi;

import io.caspian.csi.controller.CaspianApi;
import io.caspian.csi.controller.ControllerService;
import io.caspian.csi.node.NodeService;
import io.caspian.metrics.MetricsServer;
import io.grpc.BindableService;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The two roles of the {@code caspian} command that make up the CSI driver:
 * {@code csi-controller --endpoint E --api URL} and {@code csi-node --endpoint E --node-id ID [--api URL]
 * [--max-volumes N] [--state-dir DIR]}, each with {@code [--metrics-port P]}. Each serves until it is stopped.
 */
public final class CsiMain {
    public static final String USAGE = """
              csi-controller  the CSI controller plugin: --endpoint unix:///csi/csi.sock|tcp://127.0.0.1:P
                          --api http://127.0.0.1:8080 (Caspian's REST API)  --token-file F (its bearer token:
                          F's first line that is not blank or a # comment, e.g. a mounted Secret)
              csi-node    the CSI node plugin (root; attaches volumes to this machine's kernel):
                          --endpoint unix:///csi/csi.sock|tcp://0.0.0.0:P  --node-id ID (the Kubernetes node name)
                          [--api URL [--token-file F]] (with it, a path agent moves NVMe/TCP paths to a
                          failed-over target)  [--max-volumes N (0: no limit)]
                          [--state-dir DIR (/run/caspian-csi)]
              csi-controller, csi-node: --metrics-port P: Prometheus /metrics on 0.0.0.0:P, with the gRPC calls
                          by method and status code (default 0: off)
            """;

    private CsiMain() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.print(USAGE);
            System.exit(2);
        }
        System.exit(run(args[0], List.of(args).subList(1, args.length), System.err));
    }

    /** Runs role {@code role} until stopped; 2 for a bad command line, 1 when it cannot start. */
    public static int run(String role, List<String> args, PrintStream err) {
        Running r;
        try {
            r = start(role, args);
        } catch (IllegalArgumentException e) {
            err.println("caspian " + role + ": " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            err.println("caspian " + role + ": " + e.getMessage());
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(r::close, "csi-stop"));
        err.println("caspian " + role + ": serving " + IdentityService.DRIVER_NAME + " on " + r.endpoint()
                + ", metrics " + (r.metrics() == null ? "off (--metrics-port P serves them)" : r.metrics().url()));
        try {
            r.server().awaitTermination();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** A started plugin; {@code metrics} is null when {@code --metrics-port} is 0 (off). */
    public record Running(CsiServer server, Endpoint endpoint, MetricsServer metrics) implements AutoCloseable {
        @Override
        public void close() {
            server.close();
            if (metrics != null) {
                metrics.close();
            }
        }
    }

    /** Starts {@code csi-controller} or {@code csi-node}; IllegalArgumentException for bad flags. */
    public static Running start(String role, List<String> args) {
        Map<String, String> f = flags(args, switch (role) {
            case "csi-controller" -> Set.of("endpoint", "api", "token-file", "metrics-port");
            case "csi-node" -> Set.of("endpoint", "node-id", "api", "token-file", "max-volumes", "state-dir",
                    "metrics-port");
            default -> throw new IllegalArgumentException("unknown CSI role '" + role + "'");
        });
        Endpoint endpoint = Endpoint.parse(f.get("endpoint"));
        List<BindableService> services;
        if (role.equals("csi-controller")) {
            String url = f.get("api");
            if (url == null) {
                throw new IllegalArgumentException("--api URL (Caspian's REST API) is required");
            }
            CaspianApi api = new CaspianApi(url, Duration.ofSeconds(60), token(f));
            services = List.of(new IdentityService(true, api::reachable), new ControllerService(api));
        } else {
            String nodeId = f.get("node-id");
            if (nodeId == null || nodeId.isBlank()) {
                throw new IllegalArgumentException("--node-id is required (the Kubernetes node name)");
            }
            long max;
            try {
                max = Long.parseLong(f.getOrDefault("max-volumes", "0"));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--max-volumes must be a number");
            }
            // The node plugin attaches through the kernel; the API, when given, is what Probe checks and where the
            // path agent asks for a failed-over target (short timeout: it asks again half a second later).
            CaspianApi api = f.containsKey("api") ? new CaspianApi(f.get("api"), Duration.ofSeconds(10), token(f))
                    : null;
            CaspianApi agentApi = api == null ? null : new CaspianApi(f.get("api"), Duration.ofSeconds(3), token(f));
            services = List.of(new IdentityService(false, () -> api == null || api.reachable()),
                    new NodeService(nodeId, max, Path.of(f.getOrDefault("state-dir", "/run/caspian-csi")), agentApi));
        }
        MetricsServer metrics = metrics(f);
        try {
            return new Running(CsiServer.start(endpoint, services, metrics == null ? null : metrics.registry()),
                    endpoint, metrics);
        } catch (RuntimeException e) {
            if (metrics != null) {
                metrics.close();
            }
            throw e;
        }
    }

    /**
     * The {@code /metrics} of {@code --metrics-port} on every address, as the other roles serve it; null when it is
     * absent or 0 (off), the default of the other separate roles too: plugins often share a machine (tests, a
     * developer's), and a fixed port would make the second one fail to start.
     */
    static MetricsServer metrics(Map<String, String> f) {
        int port;
        try {
            port = Integer.parseInt(f.getOrDefault("metrics-port", "0"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--metrics-port must be a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--metrics-port must be 0..65535, got " + port);
        }
        if (port == 0) {
            return null;
        }
        try {
            return MetricsServer.start("0.0.0.0", port);
        } catch (BindException e) {
            throw new IllegalArgumentException("--metrics-port " + port + ": 0.0.0.0:" + port + " is in use");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve /metrics on 0.0.0.0:" + port + ": " + e.getMessage(), e);
        }
    }

    /**
     * The token of {@code --token-file}: its first line that is not blank or a {@code #} comment (the control
     * plane's token file format). Absent without the flag: the API must then run with auth none.
     */
    static Optional<String> token(Map<String, String> f) {
        if (!f.containsKey("token-file")) {
            return Optional.empty();
        }
        Path file = Path.of(f.get("token-file"));
        try {
            return Optional.of(Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("--token-file " + file + " holds no token")));
        } catch (IOException e) {
            throw new IllegalArgumentException("--token-file " + file + ": cannot read it: " + e.getMessage());
        }
    }

    private static Map<String, String> flags(List<String> args, Set<String> known) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'");
            }
            String name = a.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < args.size()) {
                value = args.get(++i);
            } else {
                throw new IllegalArgumentException("--" + name + " needs a value");
            }
            if (!known.contains(name)) {
                throw new IllegalArgumentException("unknown flag --" + name + " (known: --" + String.join(", --",
                        known) + ")");
            }
            m.put(name, value);
        }
        return m;
    }
}
