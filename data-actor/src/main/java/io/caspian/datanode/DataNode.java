package io.caspian.datanode;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.datanode.bus.BusPublisher;
import io.caspian.datanode.metrics.IoEngineMetrics;
import io.caspian.datanode.metrics.NodeObjects;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineProtocol;
import io.caspian.events.ioengine.IoEngineReply;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.NodeStateReport;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import io.caspian.nbd.NbdServer;
import io.caspian.nvmf.host.HostOptions;
import io.caspian.nvmf.host.NvmfDevice;
import io.caspian.nvmf.target.NvmfTarget;
import io.caspian.pool.Pool;
import io.caspian.pool.PoolException;
import io.caspian.rebuild.RebuildOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.slf4j.Logger;

/**
 * The io-engine of one node: starts the NVMe/TCP target and the NBD server, re-imports the pools
 * of its registry, then registers with the Receptionist and executes the control plane's
 * commands. Pool commands go to the pool's actor, nexus commands to the nexus's; this actor keeps
 * what they report and sends every subscriber a full {@link NodeStateReport} at once and after
 * every change, with a generation that only grows.
 */
public final class DataNode {

  /** Where the blocking storage calls of every pool and nexus actor run. */
  public static final String BLOCKING_DISPATCHER = "caspian.io-engine.blocking-dispatcher";

  /** The disks named in the settings were probed; {@code pools} are the ones that imported. */
  private record Probed(List<Pool> pools) implements NoSerializationVerificationNeeded {
  }

  private record PoolEntry(ActorRef<Object> actor, String disk, PoolInfo info,
      List<ReplicaInfo> replicas) {
  }

  private record NexusEntry(ActorRef<Object> actor, NexusInfo info) {
  }

  private final ActorContext<Object> ctx;
  private final DataNodeSettings settings;
  private final NodeServices services;
  private final StashBuffer<Object> stash;
  private final IoEngineMetrics metrics;
  private final DiskAllowList diskAllow;
  private final String instance = UUID.randomUUID().toString();
  private final Map<String, PoolEntry> pools = new LinkedHashMap<>();
  private final Map<String, String> poolOfReplica = new HashMap<>();
  private final Map<String, NexusEntry> nexuses = new LinkedHashMap<>();
  private final Set<ActorRef<NodeStateReport>> subscribers = new HashSet<>();
  private final Set<String> starting = new HashSet<>();
  private final AtomicInteger names = new AtomicInteger();
  private boolean probing;
  private long generation;

  private DataNode(ActorContext<Object> ctx, DataNodeSettings settings, NodeServices services,
      StashBuffer<Object> stash, IoEngineMetrics metrics) {
    this.ctx = ctx;
    this.metrics = metrics;
    this.settings = settings;
    this.services = services;
    this.stash = stash;
    // Built once the data directory exists, so that its canonical path is what the default matches.
    this.diskAllow = DiskAllowList.of(settings.diskAllow());
  }

  /** The DataNode of one io-engine, its metrics scraped by nobody; spawn one per node. */
  public static Behavior<IoEngineCommand> create(DataNodeSettings settings) {
    return create(settings, null);
  }

  /**
   * The DataNode of one io-engine whose pools and volumes {@code metrics} (null: none) shows from
   * its start until it stops.
   */
  public static Behavior<IoEngineCommand> create(DataNodeSettings settings,
      IoEngineMetrics metrics) {
    Behavior<Object> b = Behaviors.withStash(10_000, stash -> Behaviors.setup(ctx -> {
      NodeServices services = startServices(ctx, settings);
      if (metrics != null) {
        metrics.add(services.objects());
      }
      DataNode node = new DataNode(ctx, settings, services, stash, metrics);
      return node.start();
    }));
    return b.narrow();
  }

  private static NodeServices startServices(ActorContext<Object> ctx, DataNodeSettings s)
      throws IOException {
    PoolRegistry registry = PoolRegistry.open(s.dataDir());
    Executor blocking = ctx.getSystem().dispatchers()
        .lookup(DispatcherSelector.fromConfig(BLOCKING_DISPATCHER));
    LocalReplicas replicas = new LocalReplicas();
    var config = ctx.getSystem().settings().config().getConfig("caspian.io-engine");
    String hostNqn = IoEngineProtocol.hostNqn(s.nodeId());
    DeviceOpener opener = DeviceOpener.standard().with("bdev", replicas.factory())
        .with("nvmf", NvmfDevice.factory(hostNqn, HostOptions.DEFAULT_IO_TIMEOUT_MS));
    DeviceOpener childOpener = opener.with("nvmf",
        NvmfDevice.factory(hostNqn, config.getDuration("child-io-timeout").toMillis()));
    // First, so that a bad bootstrap list leaves no listening socket behind. The producer needs no broker yet.
    BusPublisher bus = s.kafkaBootstrap().isEmpty() ? null : bus(s);
    NvmfTarget nvmf;
    NbdServer nbd;
    try {
      nvmf = NvmfTarget.bind(s.nvmfHost(), s.nvmfPort());
      if (config.hasPath("controller-ids")) {
        controllerIds(nvmf, config.getString("controller-ids"));
      }
    } catch (IOException | RuntimeException e) {
      closeBus(bus);
      throw e;
    }
    try {
      nbd = NbdServer.start(s.nbdHost(), s.nbdPort());
    } catch (IOException | RuntimeException e) {
      nvmf.close();
      closeBus(bus);
      throw e;
    }
    AtomicInteger threads = new AtomicInteger();
    ScheduledExecutorService rebuilds = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "caspian-rebuild-" + s.nodeId() + "-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    RebuildOptions rebuild = new RebuildOptions(config.getInt("rebuild-tasks"),
        config.getBytes("rebuild-bandwidth"), config.getBoolean("rebuild-yield"));
    return new NodeServices(blocking, rebuilds, rebuild, opener, childOpener, replicas, registry,
        nvmf, nbd, advertised(s.nvmfHost()), bus, s.errorCountsInterval(),
        new NodeObjects(s.nodeId(), bus, nvmf, nbd), s.ioMetrics(), s.dataDir().resolve("nexus"));
  }

  /**
   * {@code caspian.io-engine.controller-ids = "MIN-MAX"}: pins this io-engine's NVMe controller ids to a range
   * an operator keeps disjoint from the other io-engines'. Unset, each target starts at a random id (see
   * {@link NvmfTarget#randomFirstControllerId}), which keeps a failed-over target's ids apart from the dead one's
   * without configuration.
   */
  static void controllerIds(NvmfTarget nvmf, String range) {
    String[] p = range.strip().split("-");
    try {
      if (p.length != 2) {
        throw new NumberFormatException();
      }
      nvmf.controllerIds(Integer.parseInt(p[0].strip()), Integer.parseInt(p[1].strip()));
    } catch (NumberFormatException e) {
      nvmf.close();
      throw new IllegalArgumentException("caspian.io-engine.controller-ids must be MIN-MAX (1..65519), not '"
          + range + "'");
    } catch (IllegalArgumentException e) {
      nvmf.close();
      throw new IllegalArgumentException("caspian.io-engine.controller-ids: " + e.getMessage(), e);
    }
  }

  private static BusPublisher bus(DataNodeSettings s) {
    try {
      return new BusPublisher(BusPublisher.Options.of(s.kafkaBootstrap(), s.nodeId())
          .withSecurity(s.kafkaSecurity()));
    } catch (org.apache.kafka.common.KafkaException e) {
      throw new IllegalArgumentException("io-engine " + s.nodeId() + ": cannot publish to Kafka at '"
          + s.kafkaBootstrap() + "': " + e.getMessage(), e);
    }
  }

  private static void closeBus(BusPublisher bus) {
    if (bus != null) {
      bus.close();
    }
  }

  /** A wildcard listen address is no use in a URI: report this machine's address instead. */
  private static String advertised(String host) throws IOException {
    InetAddress a = InetAddress.getByName(host);
    return a.isAnyLocalAddress() ? InetAddress.getLocalHost().getHostAddress() : host;
  }

  // ---------------------------------------------------------------- start

  private Behavior<Object> start() {
    for (PoolRegistry.Entry e : services.registry().entries()) {
      spawnPool(e.name(), e.disk(), PoolActor.create(services, events(), e.name(),
          e.uuid(), e.disk(), PoolActor.Start.IMPORT, e.shared(), true, null));
      starting.add(e.name());
    }
    Set<String> known = new HashSet<>();
    services.registry().entries().forEach(e -> known.add(e.disk()));
    List<String> extra = settings.importDisks().stream().filter(d -> !known.contains(d)).toList();
    if (!extra.isEmpty()) {
      probing = true;
      Logger log = ctx.getLog();
      ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> probe(extra, log), services.blocking()),
          (found, err) -> {
            if (err != null) {
              log.error("importing the disks {} failed", extra, err);
            }
            return new Probed(err == null ? found : List.of());
          });
    }
    ctx.getLog().info("io-engine {} starting: NVMe/TCP on {}, NBD on port {}, {} pools to import, "
        + "disks allowed: {}", settings.nodeId(), services.endpoint(), services.nbd().port(),
        starting.size() + extra.size(), diskAllow);
    return startingOrReady();
  }

  /** Imports the extra disks; one that holds no pool or a damaged one is logged and skipped. */
  private List<Pool> probe(List<String> disks, Logger log) {
    List<Pool> found = new ArrayList<>();
    for (String d : disks) {
      BlockDevice dev;
      try {
        dev = services.opener().open(d);
      } catch (Exception e) {
        log.error("cannot open disk {} to import it: {}", d, e.getMessage());
        continue;
      }
      try {
        found.add(Pool.importFrom(dev));
      } catch (PoolException e) {
        dev.close();
        log.error("no pool imported from disk {}: {}", d, e.getMessage());
      }
    }
    return found;
  }

  private Behavior<Object> startingOrReady() {
    if (!starting.isEmpty() || probing) {
      return Behaviors.receive(Object.class)
          .onMessage(Probed.class, this::onProbed)
          .onMessage(NodeEvent.class, e -> {
            onEvent(e);
            return startingOrReady();
          })
          .onMessage(IoEngineCommand.class, c -> {
            stash.stash(c);
            return Behaviors.same();
          })
          .onSignal(Terminated.class, t -> {
            terminated(t.getRef());
            return startingOrReady();
          })
          .onSignal(PostStop.class, s -> stopped())
          .build();
    }
    ActorRef<IoEngineCommand> self = ctx.getSelf().narrow();
    ctx.getSystem().receptionist().tell(Receptionist.register(IoEngineProtocol.DATA_NODE, self));
    ctx.getLog().info("io-engine {} ready with {} pools", settings.nodeId(), pools.size());
    return stash.unstashAll(ready());
  }

  private Behavior<Object> onProbed(Probed p) {
    probing = false;
    for (Pool pool : p.pools()) {
      if (pools.containsKey(pool.name())) {
        ctx.getLog().error("disk {} holds pool '{}', but a pool of that name is on {}; not imported",
            pool.diskUri(), pool.name(), pools.get(pool.name()).disk());
        services.blocking().execute(() -> exportQuietly(pool));
        continue;
      }
      spawnPool(pool.name(), pool.diskUri(),
          PoolActor.adopt(services, events(), pool));
      starting.add(pool.name());
    }
    return startingOrReady();
  }

  private static void exportQuietly(Pool p) {
    try {
      p.export();
    } catch (PoolException e) {
      // Nothing else to do with a pool this node will not use.
    }
  }

  // ---------------------------------------------------------------- ready

  private Behavior<Object> ready() {
    return Behaviors.receive(Object.class)
        .onMessage(IoEngineCommand.class, c -> {
          handle(c);
          return Behaviors.same();
        })
        .onMessage(NodeEvent.class, e -> {
          onEvent(e);
          return Behaviors.same();
        })
        .onSignal(Terminated.class, t -> {
          terminated(t.getRef());
          return Behaviors.same();
        })
        .onSignal(PostStop.class, s -> stopped())
        .build();
  }

  /**
   * A subscriber went away, or a pool or nexus actor stopped: normally after it said it is gone,
   * but if it failed, what it held is no longer this node's to report.
   */
  private void terminated(ActorRef<?> ref) {
    subscribers.remove(ref);
    String pool = pools.entrySet().stream().filter(e -> e.getValue().actor().equals(ref))
        .map(Map.Entry::getKey).findFirst().orElse(null);
    if (pool != null) {
      ctx.getLog().error("the actor of pool '{}' stopped unexpectedly", pool);
      onEvent(new NodeEvent.PoolGone(pool));
    }
    String nexus = nexuses.entrySet().stream().filter(e -> e.getValue().actor().equals(ref))
        .map(Map.Entry::getKey).findFirst().orElse(null);
    if (nexus != null) {
      ctx.getLog().error("the actor of nexus {} stopped unexpectedly", nexus);
      onEvent(new NodeEvent.NexusGone(nexus));
    }
  }

  private void handle(IoEngineCommand c) {
    if (c instanceof IoEngineCommand.SubscribeState s) {
      if (subscribers.add(s.subscriber())) {
        ctx.watch(s.subscriber());
      }
      s.subscriber().tell(snapshot());
    } else if (c instanceof IoEngineCommand.CreatePool p) {
      openPool(p.name(), p.uuid(), p.disk(),
          p.overwrite() ? PoolActor.Start.CREATE_OVERWRITE : PoolActor.Start.CREATE, c);
    } else if (c instanceof IoEngineCommand.ImportPool p) {
      openPool(p.name(), p.uuid(), p.disk(), PoolActor.Start.IMPORT, c);
    } else if (c instanceof IoEngineCommand.DestroyPool p) {
      PoolEntry e = pools.get(p.name());
      if (e == null) {
        p.replyTo().tell(new IoEngineReply.Removed(p.name()));
      } else {
        e.actor().tell(c);
      }
    } else if (c instanceof IoEngineCommand.CreateReplica r) {
      String holder = poolOfReplica.get(r.uuid());
      PoolEntry e = pools.get(r.pool());
      if (holder != null && !holder.equals(r.pool())) {
        r.replyTo().tell(new IoEngineReply.Failed(FailureKind.ALREADY_EXISTS, "replica "
            + r.uuid() + " exists in pool '" + holder + "', not in '" + r.pool() + "'"));
      } else if (e == null) {
        r.replyTo().tell(new IoEngineReply.Failed(FailureKind.NOT_FOUND, "no pool '" + r.pool()
            + "' on node " + settings.nodeId()));
      } else {
        e.actor().tell(c);
      }
    } else if (c instanceof IoEngineCommand.DestroyReplica r) {
      PoolEntry e = pools.get(poolOfReplica.getOrDefault(r.uuid(), r.pool()));
      if (e == null) {
        r.replyTo().tell(new IoEngineReply.Removed(r.uuid()));
      } else {
        e.actor().tell(c);
      }
    } else if (c instanceof IoEngineCommand.ShareReplica s) {
      String holder = poolOfReplica.get(s.uuid());
      if (holder == null) {
        s.replyTo().tell(new IoEngineReply.Failed(FailureKind.NOT_FOUND, "no replica " + s.uuid()
            + " on node " + settings.nodeId()));
      } else {
        pools.get(holder).actor().tell(c);
      }
    } else if (c instanceof IoEngineCommand.CreateNexus n) {
      NexusEntry e = nexuses.get(n.uuid());
      Optional<String> bad = n.children().stream().map(ChildUris::refusal)
          .flatMap(Optional::stream).findFirst();
      if (bad.isPresent()) {
        n.replyTo().tell(new IoEngineReply.Failed(FailureKind.INVALID_ARGUMENT, "nexus " + n.uuid()
            + ": " + bad.get()));
      } else if (e != null) {
        e.actor().tell(c);
      } else {
        ActorRef<Object> a = ctx.spawn(NexusActor.create(services, events(), n),
            "nexus-" + names.incrementAndGet());
        ctx.watch(a);
        nexuses.put(n.uuid(), new NexusEntry(a, null));
      }
    } else if (c instanceof IoEngineCommand.AddChild a) {
      Optional<String> bad = ChildUris.refusal(a.uri());
      if (bad.isPresent()) {
        a.replyTo().tell(new IoEngineReply.Failed(FailureKind.INVALID_ARGUMENT, "nexus " + a.nexus()
            + ": " + bad.get()));
      } else {
        toNexus(c);
      }
    } else {
      toNexus(c);
    }
  }

  private void toNexus(IoEngineCommand c) {
    String uuid = nexusOf(c);
    NexusEntry e = nexuses.get(uuid);
    if (e != null) {
      e.actor().tell(c);
    } else if (c instanceof IoEngineCommand.DestroyNexus) {
      c.replyTo().tell(new IoEngineReply.Removed(uuid));
    } else {
      c.replyTo().tell(new IoEngineReply.Failed(FailureKind.NOT_FOUND, "no nexus " + uuid
          + " on node " + settings.nodeId()));
    }
  }

  private static String nexusOf(IoEngineCommand c) {
    if (c instanceof IoEngineCommand.DestroyNexus d) {
      return d.uuid();
    } else if (c instanceof IoEngineCommand.PublishNexus p) {
      return p.uuid();
    } else if (c instanceof IoEngineCommand.UnpublishNexus u) {
      return u.uuid();
    } else if (c instanceof IoEngineCommand.AddChild a) {
      return a.nexus();
    } else if (c instanceof IoEngineCommand.RemoveChild r) {
      return r.nexus();
    } else if (c instanceof IoEngineCommand.Rebuild r) {
      return r.nexus();
    } else if (c instanceof IoEngineCommand.SetErrorPolicy p) {
      return p.nexus();
    } else if (c instanceof IoEngineCommand.SetRebuildRate s) {
      return s.nexus();
    } else if (c instanceof IoEngineCommand.InjectFault f) {
      return f.nexus();
    } else if (c instanceof IoEngineCommand.ClearFaults f) {
      return f.nexus();
    } else if (c instanceof IoEngineCommand.GetNexusStats g) {
      return g.nexus();
    }
    throw new IllegalArgumentException("not a nexus command: " + c);
  }

  /**
   * Judges the disk against the allow list first: a refused disk is never opened, so no file is
   * created, sized or formatted, whatever pool the name already stands for.
   */
  private void openPool(String name, String uuid, String disk, PoolActor.Start start,
      IoEngineCommand c) {
    DiskAllowList.Verdict verdict = diskAllow.judge(disk);
    IoEngineReply.Failed refused = null;
    if (verdict instanceof DiskAllowList.Verdict.Denied d) {
      refused = new IoEngineReply.Failed(FailureKind.PERMISSION_DENIED, "pool '" + name + "': "
          + d.reason());
    } else if (verdict instanceof DiskAllowList.Verdict.Malformed m) {
      refused = new IoEngineReply.Failed(FailureKind.INVALID_ARGUMENT, "pool '" + name + "': "
          + m.reason());
    }
    if (refused != null) {
      ctx.getLog().warn("refused: {}", refused.message());
      c.replyTo().tell(refused);
      return;
    }
    PoolEntry e = pools.get(name);
    if (e != null) {
      e.actor().tell(c);
      return;
    }
    for (Map.Entry<String, PoolEntry> other : pools.entrySet()) {
      if (other.getValue().disk().equals(disk)) {
        c.replyTo().tell(new IoEngineReply.Failed(FailureKind.ALREADY_EXISTS, "disk " + disk
            + " holds pool '" + other.getKey() + "' already"));
        return;
      }
    }
    spawnPool(name, disk, PoolActor.create(services, events(), name, uuid, disk, start,
        Set.of(), false, c.replyTo()));
  }

  private void spawnPool(String name, String disk, Behavior<Object> behavior) {
    ActorRef<Object> a = ctx.spawn(behavior, "pool-" + names.incrementAndGet());
    ctx.watch(a);
    pools.put(name, new PoolEntry(a, disk, null, List.of()));
  }

  // ---------------------------------------------------------------- state

  private void onEvent(NodeEvent e) {
    if (e instanceof NodeEvent.PoolChanged p) {
      PoolEntry old = pools.get(p.name());
      if (old == null) {
        return;
      }
      starting.remove(p.name());
      old.replicas().forEach(r -> poolOfReplica.remove(r.uuid()));
      p.replicas().forEach(r -> poolOfReplica.put(r.uuid(), p.name()));
      pools.put(p.name(), new PoolEntry(old.actor(), old.disk(), p.pool(), p.replicas()));
    } else if (e instanceof NodeEvent.PoolGone p) {
      starting.remove(p.name());
      PoolEntry old = pools.remove(p.name());
      if (old != null) {
        old.replicas().forEach(r -> poolOfReplica.remove(r.uuid()));
      }
    } else if (e instanceof NodeEvent.NexusChanged n) {
      NexusEntry old = nexuses.get(n.uuid());
      if (old == null) {
        return;
      }
      nexuses.put(n.uuid(), new NexusEntry(old.actor(), n.nexus()));
    } else if (e instanceof NodeEvent.NexusGone n) {
      nexuses.remove(n.uuid());
    }
    publish();
  }

  private void publish() {
    generation++;
    NodeStateReport r = snapshot();
    subscribers.forEach(s -> s.tell(r));
  }

  private NodeStateReport snapshot() {
    List<PoolInfo> ps = new ArrayList<>();
    List<ReplicaInfo> rs = new ArrayList<>();
    for (PoolEntry e : pools.values()) {
      if (e.info() != null) {
        ps.add(e.info());
        rs.addAll(e.replicas());
      }
    }
    List<NexusInfo> ns = new ArrayList<>();
    for (NexusEntry e : nexuses.values()) {
      if (e.info() != null) {
        ns.add(e.info());
      }
    }
    return new NodeStateReport(settings.nodeId(), instance, services.endpoint(),
        ctx.getSelf().narrow(), generation, settings.labels(), ps, rs, ns, services.bus() != null);
  }

  /** Where pool and nexus actors report. */
  private ActorRef<NodeEvent> events() {
    return ctx.getSelf().narrow();
  }

  /** Children (pools exported, nexuses closed) are stopped by now; the servers go last. */
  private Behavior<Object> stopped() {
    if (metrics != null) {
      metrics.remove(services.objects());
    }
    services.nbd().close();
    services.nvmf().close();
    services.rebuilds().shutdownNow();
    closeBus(services.bus());
    return Behaviors.same();
  }
}
