package io.caspian.control;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.caspian.control.bus.BusConsumer;
import io.caspian.control.bus.BusMetrics;
import io.caspian.control.bus.BusSink;
import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.node.NodeCommand;
import io.caspian.control.entity.node.NodeEntity;
import io.caspian.control.entity.nexus.NexusEntity;
import io.caspian.control.entity.pool.PoolEntity;
import io.caspian.control.entity.replica.ReplicaEntity;
import io.caspian.control.entity.volume.VolumeEntity;
import io.caspian.control.journal.JournalSchema;
import io.caspian.control.journal.JournalSettings;
import io.caspian.control.observed.ActorIoEngineClient;
import io.caspian.control.observed.DataNodeWatcher;
import io.caspian.control.observed.Inventory;
import io.caspian.control.observed.InventoryMetrics;
import io.caspian.control.observed.IoEngineClient;
import io.caspian.control.observed.NodeListener;
import io.caspian.control.observed.ReportChange;
import io.caspian.control.readmodel.ReadModel;
import io.caspian.control.readmodel.ReadModelProjection;
import io.caspian.control.reconciler.GarbageCollector;
import io.caspian.control.reconciler.Projected;
import io.caspian.control.reconciler.Reconciler;
import io.caspian.control.reconciler.VolumeReconciler;
import io.caspian.control.rest.RestApi;
import io.caspian.control.rest.RestMetrics;
import io.caspian.control.rest.auth.RestAuth;
import io.caspian.control.rest.auth.RestTls;
import io.caspian.control.scheduler.Scheduler;
import io.caspian.control.service.BusRouter;
import io.caspian.control.service.Entities;
import io.caspian.control.service.LossTimeouts;
import io.caspian.control.service.PoolService;
import io.caspian.control.service.VolumeLocks;
import io.caspian.control.service.VolumeService;
import io.caspian.control.service.VolumeStatsService;
import io.caspian.events.ioengine.NodeStateReport;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaClientSecurity;
import io.caspian.kafka.TopicAdmin;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane in one object: journal schema, actor system (cluster role {@code control}), sharded
 * entities, io-engine discovery, reconciler and REST API. Configured by {@code caspian.*} (see reference.conf).
 */
public final class ControlPlane implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);
    public static final String ROLE = "control";

    private final ActorSystem<Void> system;
    private final Inventory inventory;
    private final ActorRef<Reconciler.Message> reconciler;
    private final ServerBinding binding;
    private final ExecutorService operations;
    private final BusConsumer bus;
    private final RestAuth restAuth;
    private final boolean https;

    private ControlPlane(ActorSystem<Void> system, Inventory inventory, ActorRef<Reconciler.Message> reconciler,
                         ServerBinding binding, ExecutorService operations, BusConsumer bus, RestAuth restAuth,
                         boolean https) {
        this.restAuth = restAuth;
        this.https = https;
        this.system = system;
        this.inventory = inventory;
        this.reconciler = reconciler;
        this.binding = binding;
        this.operations = operations;
        this.bus = bus;
    }

    /** Starts everything and returns once the REST API is bound. */
    public static ControlPlane start(Config config) {
        return start(config, java.util.List.of());
    }

    /**
     * A module that runs beside the control plane (e.g. the projections): started once the cluster is joined and
     * the entities are running, it may add routes under {@code /v0}.
     */
    public interface Extension {
        /** {@code config} is the full configuration the actor system runs with. */
        java.util.List<org.apache.pekko.http.javadsl.server.Route> start(ActorSystem<Void> system, Config config);
    }

    /** As {@link #start(Config)}, with extensions started before the REST API is bound. */
    public static ControlPlane start(Config config, java.util.List<Extension> extensions) {
        return start(config, extensions, null);
    }

    /**
     * As {@link #start(Config, java.util.List)}, with the REST API's requests and the observed objects shown in
     * {@code metrics} (null: no metrics).
     */
    public static ControlPlane start(Config config, java.util.List<Extension> extensions,
                                     PrometheusRegistry metrics) {
        Config full = ConfigFactory.parseString("pekko.actor.provider = cluster").withFallback(config)
                .withFallback(ConfigFactory.load());
        if (!full.getStringList("pekko.cluster.roles").contains(ROLE)) {
            throw new IllegalArgumentException("the control plane needs cluster role '" + ROLE
                    + "' in pekko.cluster.roles, got " + full.getStringList("pekko.cluster.roles"));
        }
        JournalSettings journal = JournalSettings.fromConfig(full);
        JournalSchema.ensure(journal);
        full = journal.pekkoConfig().withFallback(full);
        Config c = full.getConfig("caspian.control");
        Duration askTimeout = c.getDuration("ask-timeout");
        Duration ioTimeout = c.getDuration("io-engine-timeout");
        // Before anything starts: a bad token file or key store fails the start, and leaves no cluster member behind.
        RestAuth restAuth = RestAuth.fromConfig(c.getConfig("rest.auth"),
                java.nio.file.Path.of(full.getString("caspian.data-dir")));
        java.util.Optional<HttpsConnectionContext> tls = RestTls.fromConfig(c.getConfig("rest.tls"));
        if (restAuth instanceof RestAuth.Open) {
            LOG.warn("REST API: {}", restAuth.describe());
        }

        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), full.hasPath("caspian.system-name")
                ? full.getString("caspian.system-name") : "caspian", full);
        try {
            Cluster cluster = Cluster.get(system);
            if (c.getBoolean("self-join") && full.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
                cluster.manager().tell(Join.create(cluster.selfMember().address()));
            }
            EntitySettings settings = new EntitySettings(c.getInt("snapshot-every"), 2);
            ClusterSharding sharding = ClusterSharding.get(system);
            sharding.init(Entity.of(NodeEntity.TYPE_KEY, e -> NodeEntity.create(e.getEntityId(), settings))
                    .withRole(ROLE));
            sharding.init(Entity.of(PoolEntity.TYPE_KEY, e -> PoolEntity.create(e.getEntityId(), settings))
                    .withRole(ROLE));
            sharding.init(Entity.of(ReplicaEntity.TYPE_KEY, e -> ReplicaEntity.create(e.getEntityId(), settings))
                    .withRole(ROLE));
            sharding.init(Entity.of(NexusEntity.TYPE_KEY, e -> NexusEntity.create(e.getEntityId(), settings))
                    .withRole(ROLE));
            sharding.init(Entity.of(VolumeEntity.TYPE_KEY, e -> VolumeEntity.create(e.getEntityId(), settings))
                    .withRole(ROLE));

            ExecutorService operations = Executors.newFixedThreadPool(c.getInt("operation-threads"), daemons());
            Clock clock = Clock.systemUTC();
            Inventory inventory = new Inventory(clock);
            Entities entities = new Entities(system, askTimeout);
            ReadModel model = ReadModelProjection.start(system, full, journal);
            IoEngineClient io = new ActorIoEngineClient(system, inventory, ioTimeout);
            Scheduler scheduler = new Scheduler(c.getInt("overcommit-percent"), c.getBoolean("volatile-pools-for-all"));
            LossTimeouts timeouts = new LossTimeouts(c.getDuration("failover-timeout"), c.getDuration("node-timeout"));
            VolumeLocks locks = new VolumeLocks();
            VolumeReconciler volumeReconciler = VolumeReconciler.create(entities, inventory, io, scheduler, locks,
                    ioTimeout, clock, c.getDuration("faulted-child-wait"), timeouts,
                    !c.getString("bus.bootstrap-servers").isBlank(), c.getDuration("bus.report-grace"));
            VolumeService volumes = new VolumeService(entities, inventory, io, scheduler, locks, volumeReconciler);
            PoolService pools = new PoolService(entities, model, inventory, io, ioTimeout);
            Projected projected = Projected.of(model);
            ActorRef<Reconciler.Message> reconciler = system.systemActorOf(Reconciler.create(entities, model,
                    volumeReconciler, pools, new GarbageCollector(entities, inventory, io, locks,
                            volumeReconciler.replicas(), projected), inventory, projected,
                    c.getDuration("reconcile-interval"), c.getInt("sweep-page"),
                    operations, metrics), "reconciler", Props.empty());
            system.systemActorOf(DataNodeWatcher.create(inventory, listener(entities, inventory, reconciler,
                    operations, system, timeouts)), "data-node-watcher", Props.empty());

            RestApi api = new RestApi(entities, model, inventory, volumes, pools,
                    new VolumeStatsService(entities, io, clock, ioTimeout), operations);
            java.util.List<org.apache.pekko.http.javadsl.server.Route> more = new java.util.ArrayList<>();
            for (Extension x : extensions) {
                more.addAll(x.start(system, full));
            }
            org.apache.pekko.http.javadsl.server.Route route = api.route(restAuth, more);
            if (metrics != null) {
                route = new RestMetrics(metrics).around(route);
                metrics.register(new InventoryMetrics(inventory));
            }
            ServerBuilder server = Http.get(system).newServerAt(c.getString("rest.host"), c.getInt("rest.port"));
            ServerBinding binding = tls.map(server::enableHttps).orElse(server)
                    .bind(route).toCompletableFuture().get(30, TimeUnit.SECONDS);
            LOG.info("control plane REST API on {}{}; {}", tls.isPresent() ? "https://" : "http://",
                    binding.localAddress(), restAuth.describe());
            BusConsumer bus = startBus(c.getConfig("bus"), KafkaClientSecurity.fromConfig(full), new BusRouter(entities, operations,
                    volume -> reconciler.tell(new Reconciler.VolumeChanged(volume))));
            if (metrics != null && bus != null) {
                metrics.register(new BusMetrics(bus::stats));
            }
            return new ControlPlane(system, inventory, reconciler, binding, operations, bus, restAuth,
                    tls.isPresent());
        } catch (Exception e) {
            system.terminate();
            throw new IllegalStateException("control plane failed to start: " + e.getMessage(), e);
        }
    }

    /** Consumes the io-engines' bus when Kafka is configured; null otherwise. */
    private static BusConsumer startBus(Config c, KafkaClientSecurity security, BusSink sink) {
        String servers = c.getString("bootstrap-servers").strip();
        if (servers.isEmpty()) {
            return null;
        }
        if (c.getBoolean("ensure-topics")) {
            // Kafka may be down now; the consumer waits for it either way.
            short rf = (short) c.getInt("replication-factor");
            CompletableFuture.runAsync(() -> {
                try (TopicAdmin admin = new TopicAdmin(servers, security)) {
                    admin.ensure(BusTopics.all(rf), Duration.ofSeconds(30));
                } catch (RuntimeException e) {
                    LOG.warn("cannot create the io bus topics on {}: {}", servers, e.getMessage());
                }
            });
        }
        LOG.info("consuming the io bus at {} as group {} ({})", servers, c.getString("group-id"), security);
        return BusConsumer.start(BusConsumer.Options.of(servers).withGroupId(c.getString("group-id"))
                .withSecurity(security), sink);
    }

    /**
     * Registers nodes as they report and marks them offline when they go; both trigger a reconciliation, and a node
     * gone two more: once it has been offline for the failover timeout, when the targets it runs move, and for the
     * node timeout, when its replicas are given up on (nothing else may happen then on an idle cluster).
     */
    private static NodeListener listener(Entities entities, Inventory inventory,
                                         ActorRef<Reconciler.Message> reconciler, ExecutorService operations,
                                         ActorSystem<?> system, LossTimeouts timeouts) {
        return new NodeListener() {
            @Override
            public void reported(NodeStateReport r, NodeStateReport previous) {
                if (previous == null || !previous.instance().equals(r.instance())) {
                    operation(() -> {
                        var node = entities.node(r.node(), x -> new NodeCommand.Register(r.endpoint(), r.labels(), x));
                        inventory.cordoned(node.id(), node.cordoned());
                    }, operations).whenComplete((ok, e) -> {
                        if (e != null) {
                            LOG.warn("cannot register node {}: {}", r.node(), e.getMessage());
                        }
                        reconciler.tell(new Reconciler.Trigger("node " + r.node() + " registered"));
                    });
                } else {
                    reconciler.tell(new Reconciler.Reported(r.node(), ReportChange.between(previous, r)));
                }
            }

            @Override
            public void offline(String node) {
                operation(() -> entities.node(node, NodeCommand.MarkOffline::new), operations)
                        .whenComplete((ok, e) -> reconciler.tell(new Reconciler.Trigger("node " + node
                                + " offline")));
                // A little after each timeout: the inventory's clock must have passed it when the sweep looks.
                system.scheduler().scheduleOnce(timeouts.failover().plusMillis(100), () -> reconciler.tell(
                        new Reconciler.Trigger("node " + node + " offline for the failover timeout")),
                        system.executionContext());
                system.scheduler().scheduleOnce(timeouts.node().plusMillis(100), () -> reconciler.tell(
                        new Reconciler.Trigger("node " + node + " offline for the node timeout")),
                        system.executionContext());
            }
        };
    }

    /**
     * Runs a node's registration or offline mark off the watcher's thread. While this control node shuts down the
     * executor is closed before the cluster's last member events arrive: those are dropped, the journal keeps the
     * last word, and the next control node sees the reports for itself.
     */
    private static CompletableFuture<Void> operation(Runnable work, ExecutorService operations) {
        try {
            return CompletableFuture.runAsync(work, operations);
        } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            return CompletableFuture.failedFuture(shuttingDown);
        }
    }

    private static java.util.concurrent.ThreadFactory daemons() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "caspian-operation-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    public int restPort() {
        return binding.localAddress().getPort();
    }

    /** Whether and how the REST API asks for a token; where the token file is. */
    public RestAuth restAuth() {
        return restAuth;
    }

    /** {@code https} with a key store configured, else {@code http}. */
    public String restScheme() {
        return https ? "https" : "http";
    }

    public ActorSystem<Void> system() {
        return system;
    }

    public Inventory inventory() {
        return inventory;
    }

    /** What the io-bus consumer has done so far; empty when no bus is configured. */
    public java.util.Optional<io.caspian.control.bus.ConsumerStats> busStats() {
        return java.util.Optional.ofNullable(bus).map(BusConsumer::stats);
    }

    /** Asks for a reconciliation now instead of at the next tick. */
    public void reconcile(String reason) {
        reconciler.tell(new Reconciler.Trigger(reason));
    }

    @Override
    public void close() {
        if (bus != null) {
            bus.close();
        }
        reconciler.tell(new Reconciler.Stop());
        operations.shutdownNow();
        try {
            binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("REST API unbind: {}", e.getMessage());
        }
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("actor system did not terminate cleanly: {}", e.getMessage());
        }
    }
}
