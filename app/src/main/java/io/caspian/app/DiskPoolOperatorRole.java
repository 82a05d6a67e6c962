package io.caspian.app;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.caspian.control.rest.auth.TokenFile;
import io.caspian.diskpool.Operator;
import io.caspian.diskpool.PoolApi;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code caspian diskpool-operator}: the DiskPool operator until the JVM is stopped. The Kubernetes client finds
 * its API server and credentials itself (the pod's service account in a cluster, else ~/.kube/config); SIGTERM
 * stops the watch and lets the pass under way finish, leaving every pool as it is.
 */
final class DiskPoolOperatorRole {
    static final Set<String> FLAGS = Set.of("api", "token-file", "namespace", "resync", "metrics-port");

    private DiskPoolOperatorRole() {
    }

    static void run(Flags f) {
        if (!f.positional().isEmpty()) {
            throw new UsageException("diskpool-operator takes no arguments, got " + f.positional());
        }
        String api = f.get("api").orElseThrow(() -> new UsageException("--api URL (Caspian's REST API) is required"));
        Duration resync = Durations.parse("resync", f.get("resync", "30s"));
        // The token file's first token; a mounted Secret in a cluster. Without it the API must run with auth none.
        Optional<String> token = f.get("token-file").map(t -> {
            try {
                return TokenFile.read(Path.of(t)).get(0);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--token-file: " + e.getMessage());
            }
        });
        if (resync.isZero() || resync.isNegative()) {
            throw new UsageException("--resync must be positive");
        }
        // The flag, else caspian.metrics as for the other roles (reference.conf: off; -D system properties).
        Config config = ConfigFactory.load();
        if (f.has("metrics-port")) {
            config = ConfigFactory.parseMap(Map.of("caspian.metrics.port", f.integer("metrics-port", 0, 0, 65535)),
                    "command line").withFallback(config);
        }
        MetricsEndpoint metrics = MetricsEndpoint.fromConfig(config);
        KubernetesClient client;
        try {
            client = new KubernetesClientBuilder().build();
        } catch (RuntimeException e) {
            if (metrics != null) {
                metrics.close();
            }
            throw e;
        }
        String namespace = f.get("namespace").orElseGet(() -> client.getNamespace() == null ? "caspian"
                : client.getNamespace());
        Operator operator = new Operator(client, namespace, new PoolApi(api, Duration.ofSeconds(60), token), resync,
                MetricsEndpoint.registryOf(metrics));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            operator.close();
            client.close();
            if (metrics != null) {
                metrics.close();
            }
            stopped.countDown();
        }, "diskpool-operator-stop"));
        operator.start();
        System.out.println("diskpool-operator up: DiskPools of namespace " + namespace + " on "
                + client.getMasterUrl() + ", pools through " + api + ", metrics " + MetricsEndpoint.describe(metrics));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
