package io.caspian.app;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.caspian.control.ControlPlane;
import io.caspian.kafka.KafkaClientSecurity;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the role flags into one Typesafe Config: flags win over {@code --config file.conf}, which wins over the
 * reference.conf defaults of every module.
 */
final class RoleConfig {
    static final String SYSTEM = "caspian";

    /** Flags every role takes. */
    static final Set<String> COMMON = Set.of("config", "data-dir", "seed", "host", "port", "kafka", "bootstrap",
            "management", "metrics-port", "cluster-tls-keystore", "cluster-tls-truststore",
            "cluster-tls-password-file", "kafka-client-config");
    /** Discovery methods {@code --bootstrap} takes: Pekko's own (config list, DNS SRV) and the Kubernetes API's. */
    static final Set<String> DISCOVERY = Set.of("kubernetes-api", "pekko-dns", "config");
    static final Set<String> CONTROL = Set.of("rest", "journal", "jdbc-url", "jdbc-user", "jdbc-password",
            "faulted-child-wait", "node-timeout", "failover-timeout", "auth", "token-file", "tls-keystore",
            "tls-keystore-password-file");
    static final Set<String> IO_ENGINE = Set.of("node-id", "nbd-port", "nvmf-port", "label", "disk", "listen-host",
            "metrics-io", "child-io-timeout", "disk-allow");
    /** The child I/O timeout's range: a nexus refuses a child URI's io_timeout_ms outside it too. */
    static final java.time.Duration MAX_CHILD_IO_TIMEOUT = java.time.Duration.ofMinutes(10);

    /**
     * What {@code --bootstrap} looks for, under {@code --config}: the control nodes by the name and label
     * {@code k8s/} gives them, all three of its StatefulSet found before the first forms the cluster (fewer could
     * let a partial start form two). Here rather than in a reference.conf, whose order among the jars' is not fixed.
     */
    private static final Config BOOTSTRAP_DEFAULTS = ConfigFactory.parseMap(Map.of(
            "pekko.management.cluster.bootstrap.contact-point-discovery.service-name", "caspian-control",
            "pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr", 3,
            "pekko.discovery.kubernetes-api.pod-label-selector", "app.kubernetes.io/name=%s"),
            "--bootstrap defaults");

    private RoleConfig() {
    }

    static Set<String> union(Set<String> a, Set<String> b) {
        var s = new java.util.HashSet<>(a);
        s.addAll(b);
        return Set.copyOf(s);
    }

    /**
     * The {@code --kafka} bootstrap list, checked to be {@code host:port[,host:port]}; {@code off} is the empty
     * list (no bus); absent when the flag is not given.
     */
    static java.util.Optional<String> kafka(Flags f) {
        return f.get("kafka").map(k -> {
            if (k.equals("off")) {
                return "";
            }
            List<String> parts = new ArrayList<>();
            for (String s : k.split(",", -1)) {
                parts.add(Flags.hostPort("kafka", s.strip()).toString());
            }
            return String.join(",", parts);
        });
    }

    /**
     * {@code --auth token|none}, {@code --token-file F} and {@code --tls-keystore P12} with
     * {@code --tls-keystore-password-file F}: who may call the REST API, and over what.
     */
    private static void restSecurity(Flags f, Map<String, Object> m) {
        f.get("auth").ifPresent(a -> {
            if (!a.equals("token") && !a.equals("none")) {
                throw new UsageException("--auth must be token or none, got '" + a + "'");
            }
            if (a.equals("none") && f.has("token-file")) {
                throw new UsageException("--auth none asks for no token; --token-file names tokens: give one");
            }
            m.put("caspian.control.rest.auth.mode", a);
        });
        f.get("token-file").ifPresent(t -> m.put("caspian.control.rest.auth.token-file", existing("token-file", t)));
        if (f.has("tls-keystore") != f.has("tls-keystore-password-file")) {
            throw new UsageException("--tls-keystore and --tls-keystore-password-file go together");
        }
        f.get("tls-keystore").ifPresent(k -> m.put("caspian.control.rest.tls.keystore", existing("tls-keystore", k)));
        f.get("tls-keystore-password-file").ifPresent(p -> m.put("caspian.control.rest.tls.keystore-password-file",
                existing("tls-keystore-password-file", p)));
    }

    private static String existing(String flag, String file) {
        Path p = Path.of(file).toAbsolutePath();
        if (!java.nio.file.Files.isRegularFile(p)) {
            throw new UsageException("--" + flag + " " + p + ": no such file");
        }
        return p.toString();
    }

    /** Builds the config of one JVM that holds {@code roles}. */
    static Config build(Flags f, List<String> roles) {
        Map<String, Object> m = new HashMap<>();
        m.put("pekko.cluster.roles", roles);
        f.get("data-dir").ifPresent(d -> m.put("caspian.data-dir", Path.of(d).toAbsolutePath().toString()));
        f.get("host").ifPresent(h -> m.put("pekko.remote.artery.canonical.hostname", h));
        if (f.has("port")) {
            m.put("pekko.remote.artery.canonical.port", f.integer("port", 0, 0, 65535));
        }
        if (f.has("metrics-port")) {
            m.put("caspian.metrics.port", f.integer("metrics-port", 0, 0, 65535));
        }
        if (f.has("seed")) {
            List<String> seeds = new ArrayList<>();
            for (String s : f.all("seed")) {
                Flags.HostPort hp = Flags.hostPort("seed", s);
                seeds.add("pekko://" + SYSTEM + "@" + hp);
            }
            m.put("pekko.cluster.seed-nodes", seeds);
        }
        f.get("bootstrap").ifPresent(method -> {
            if (!DISCOVERY.contains(method)) {
                throw new UsageException("--bootstrap must be one of " + new java.util.TreeSet<>(DISCOVERY) + ", got '"
                        + method + "'");
            }
            if (f.has("seed")) {
                throw new UsageException("--bootstrap and --seed are two ways to join a cluster: give one");
            }
            m.put(Bootstrap.ENABLED, true);
            m.put("pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method", method);
            // Seeds are what discovery finds: a control node that joined itself first would form a cluster alone.
            m.put("caspian.control.self-join", false);
            // Only control nodes are contact points, so only they may form a cluster; an io-engine waits for one.
            m.put("pekko.management.cluster.bootstrap.new-cluster-enabled", roles.contains(ControlPlane.ROLE));
        });
        f.get("management").ifPresent(a -> {
            if (!f.has("bootstrap")) {
                throw new UsageException("--management is the endpoint of --bootstrap; give --bootstrap too");
            }
            Flags.HostPort hp = Flags.hostPort("management", a);
            m.put("pekko.management.http.hostname", hp.host());
            m.put("pekko.management.http.port", hp.port());
        });
        ClusterTls.flags(f, m);
        f.get("rest").ifPresent(r -> {
            Flags.HostPort hp = Flags.hostPort("rest", r);
            m.put("caspian.control.rest.host", hp.host());
            m.put("caspian.control.rest.port", hp.port());
        });
        restSecurity(f, m);
        f.get("journal").ifPresent(j -> {
            if (!j.equals("h2") && !j.equals("postgres")) {
                throw new UsageException("--journal must be h2 or postgres, got '" + j + "'");
            }
            m.put("caspian.journal.kind", j);
            if (j.equals("postgres") && !f.has("jdbc-url")) {
                throw new UsageException("--journal postgres needs --jdbc-url jdbc:postgresql://host:port/db");
            }
        });
        kafka(f).ifPresent(k -> {
            m.put("caspian.control.bus.bootstrap-servers", k);
            m.put("caspian.io-engine.kafka", k);
            m.put("caspian.projections.kafka.bootstrap-servers", k);
        });
        f.get("kafka-client-config").ifPresent(file -> {
            Path p = Path.of(file).toAbsolutePath();
            if (!java.nio.file.Files.isRegularFile(p)) {
                throw new UsageException("--kafka-client-config " + p + ": no such file");
            }
            m.put(KafkaClientSecurity.FILE, p.toString());
        });
        f.get("faulted-child-wait").ifPresent(w -> m.put("caspian.control.faulted-child-wait",
                Durations.parse("faulted-child-wait", w).toMillis() + "ms"));
        // A node is Offline for a moment on every restart: acting at once would move or replace on each one.
        for (String timeout : List.of("node-timeout", "failover-timeout")) {
            f.get(timeout).ifPresent(t -> {
                java.time.Duration d = Durations.parse(timeout, t);
                if (d.isZero()) {
                    throw new UsageException("--" + timeout + " must be more than 0: a node is offline for a moment "
                            + "on every restart");
                }
                m.put("caspian.control." + timeout, d.toMillis() + "ms");
            });
        }
        f.get("child-io-timeout").ifPresent(t -> {
            java.time.Duration d = Durations.parse("child-io-timeout", t);
            if (d.toMillis() < 1 || d.compareTo(MAX_CHILD_IO_TIMEOUT) > 0) {
                throw new UsageException("--child-io-timeout must be 1ms..10m, got '" + t + "'");
            }
            m.put("caspian.io-engine.child-io-timeout", d.toMillis() + "ms");
        });
        if (f.has("disk-allow")) {
            m.put("caspian.io-engine.disk-allow", f.all("disk-allow"));
        }
        f.get("jdbc-url").ifPresent(u -> m.put("caspian.journal.url", u));
        f.get("jdbc-user").ifPresent(u -> m.put("caspian.journal.user", u));
        f.get("jdbc-password").ifPresent(p -> m.put("caspian.journal.password", p));
        f.get("node-id").ifPresent(n -> m.put("caspian.io-engine.node-id", n));
        f.get("listen-host").ifPresent(h -> m.put("caspian.io-engine.listen-host", h));
        if (f.has("nbd-port")) {
            m.put("caspian.io-engine.nbd-port", f.integer("nbd-port", 0, 0, 65535));
        }
        if (f.has("nvmf-port")) {
            m.put("caspian.io-engine.nvmf-port", f.integer("nvmf-port", 0, 0, 65535));
        }
        f.get("metrics-io").ifPresent(v -> {
            if (!v.equals("true") && !v.equals("false")) {
                throw new UsageException("--metrics-io must be true or false, got '" + v + "'");
            }
            m.put("caspian.io-engine.metrics-io", Boolean.parseBoolean(v));
        });
        if (f.has("disk")) {
            m.put("caspian.io-engine.disks", f.all("disk"));
        }
        if (f.has("label")) {
            Map<String, String> labels = new LinkedHashMap<>();
            for (String l : f.all("label")) {
                int eq = l.indexOf('=');
                if (eq <= 0) {
                    throw new UsageException("--label must be key=value, got '" + l + "'");
                }
                labels.put(l.substring(0, eq), l.substring(eq + 1));
            }
            m.put("caspian.io-engine.labels", labels);
        }
        Config flags = ConfigFactory.parseMap(m, "command line");
        Config file = ConfigFactory.empty();
        if (f.has("config")) {
            File cf = new File(f.get("config").orElseThrow());
            if (!cf.isFile()) {
                throw new UsageException("--config " + cf + ": no such file");
            }
            try {
                file = ConfigFactory.parseFile(cf);
            } catch (ConfigException e) {
                throw new UsageException("--config " + cf + ": " + e.getMessage());
            }
        }
        Config defaults = f.has("bootstrap") ? BOOTSTRAP_DEFAULTS : ConfigFactory.empty();
        Config config = ClusterTls.apply(flags.withFallback(file).withFallback(defaults)
                .withFallback(ConfigFactory.load()).resolve());
        try {
            KafkaClientSecurity.fromConfig(config); // each Kafka client reads it again; a mistake is found now
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage() + " (--kafka-client-config, " + KafkaClientSecurity.BLOCK + ")");
        }
        return config;
    }
}
