package io.caspian.app;

import com.typesafe.config.Config;
import io.caspian.events.ioengine.IoEngineCommand;
import java.nio.file.Files;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** {@code caspian io-engine}: one data node (cluster role io-engine) joined to the control plane's cluster. */
final class IoEngineRole {
    static final String ROLE = "io-engine";
    static final Set<String> FLAGS = RoleConfig.union(RoleConfig.COMMON, RoleConfig.IO_ENGINE);

    private IoEngineRole() {
    }

    static void run(Flags f) {
        if (!f.positional().isEmpty()) {
            throw new UsageException("io-engine takes no arguments, got " + f.positional());
        }
        if (!f.has("seed") && !f.has("bootstrap")) {
            throw new UsageException("io-engine needs --seed host:port of the control plane's cluster port, or"
                    + " --bootstrap to find it");
        }
        Config config = RoleConfig.build(f, List.of(ROLE));
        IoEngineOptions o = IoEngineOptions.fromConfig(config);
        try {
            Files.createDirectories(o.dataDir());
        } catch (IOException e) {
            throw new UsageException("--data-dir " + o.dataDir() + ": cannot create it: " + e.getMessage());
        }
        MetricsEndpoint metrics = MetricsEndpoint.fromConfig(config);
        Behavior<IoEngineCommand> node = DataNodes.behavior(o, metrics == null ? null : metrics.ioEngines());
        ActorSystem<Void> system;
        try {
            system = ActorSystem.create(Behaviors.setup(ctx -> {
                ctx.spawn(node, "data-node");
                return Behaviors.empty();
            }), RoleConfig.SYSTEM, config);
        } catch (RuntimeException e) {
            if (metrics != null) {
                metrics.close();
            }
            throw e;
        }
        Bootstrap.startIfEnabled(system);
        if (metrics != null) {
            system.getWhenTerminated().thenRun(metrics::close);
        }
        System.out.println("io-engine " + o.nodeId() + " up: NBD on " + o.listenHost() + ":" + o.nbdPort()
                + ", NVMe/TCP on " + o.listenHost() + ":" + o.nvmfPort() + ", cluster at " + system.address()
                + ", pools to import " + o.disks() + ", Kafka " + ControlRole.kafkaOrOff(o.kafka()) + ", metrics "
                + MetricsEndpoint.describe(metrics));
        Runtime.getRuntime().addShutdownHook(new Thread(system::terminate, "caspian-io-engine-stop"));
        system.getWhenTerminated().toCompletableFuture().join();
    }
}
