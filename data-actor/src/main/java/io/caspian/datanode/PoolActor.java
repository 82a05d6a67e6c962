package io.caspian.datanode;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.datanode.metrics.LivePool;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineReply;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import io.caspian.pool.Pool;
import io.caspian.pool.PoolException;
import io.caspian.pool.PoolStats;
import io.caspian.pool.PoolWatcher;
import io.caspian.pool.Replica;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Owns one pool: creates, imports and destroys it, creates, destroys and shares its replicas.
 * Every change runs on the blocking dispatcher, one at a time ({@link Serial}); the replicas' I/O
 * never comes near this actor. A pool whose disk could not be imported at start stays here as
 * Faulted with its error, and its disk is never written.
 *
 * <p>Health comes from below, as it happens: the disk and the metadata writer tell a {@link
 * PoolWatcher} (no polling), and the pool is Degraded while its disk is unreachable, Faulted once
 * the disk has failed (stayed away past its limit) or a metadata write failed, with the reason in
 * every report and a record on the bus. A disk that returns is read back ({@link Pool#verify})
 * before the pool is Online again; after a failed metadata write only an import brings it back.
 */
final class PoolActor {

  /** How the actor gets its pool. */
  enum Start {
    /** Import the pool on the disk, or format the disk when it is blank (CreatePool). */
    CREATE,
    /**
     * As CREATE, but format a disk that holds data, a signature or another pool (CreatePool with
     * overwrite): the caller has said its contents may go.
     */
    CREATE_OVERWRITE,
    /** Import only (ImportPool, and the registry at start). */
    IMPORT
  }

  /**
   * Thin replicas allocate on the I/O path, without this actor: look at the space now and then,
   * while the pool holds one. Everything else that changes the pool's report goes through this
   * actor.
   */
  private record Refresh() implements NoSerializationVerificationNeeded {
  }

  /** News from the pool's watcher, on the actor's thread; news of a pool since closed is dropped. */
  private sealed interface HealthNews extends NoSerializationVerificationNeeded {
    Pool pool();

    record Unreachable(Pool pool, String reason) implements HealthNews {
    }

    record DiskFailed(Pool pool, String reason) implements HealthNews {
    }

    record Restored(Pool pool) implements HealthNews {
    }

    record MetadataFailed(Pool pool, String reason) implements HealthNews {
    }

    /** The read-back after the disk returned: {@code error} null when it matched. */
    record Verified(Pool pool, Throwable error) implements HealthNews {
    }
  }

  /** What the pool's disk last said of itself. */
  private enum Disk { UP, UNREACHABLE, FAILED }

  private static final Refresh REFRESH = new Refresh();
  static final Duration REFRESH_INTERVAL = Duration.ofSeconds(1);

  private final ActorContext<Object> ctx;
  private final TimerScheduler<Object> timers;
  private final Serial serial;
  private final NodeServices services;
  private final ActorRef<NodeEvent> parent;
  private final String name;
  private String uuid;
  private final String disk;
  /** This actor's pool as the metrics scrape sees it. */
  private final LivePool live;
  private Pool pool;
  private String error;
  /** The shares a pool that failed to import had in the registry, for a later import. */
  private Set<String> restoreShares = Set.of();
  private final Set<String> shared = new TreeSet<>();
  private boolean stopping;
  private Disk diskState = Disk.UP;
  private String diskReason = "";
  /** Set when a returned disk did not read back as this pool. */
  private String verifyFailure;
  private Health health = Health.ONLINE;
  private String reason = "";
  private NodeEvent.PoolChanged reported;
  private Behavior<Object> self;

  private PoolActor(ActorContext<Object> ctx, TimerScheduler<Object> timers, Serial serial,
      NodeServices services, ActorRef<NodeEvent> parent, String name, String uuid, String disk) {
    this.ctx = ctx;
    this.timers = timers;
    this.serial = serial;
    this.services = services;
    this.parent = parent;
    this.name = name;
    this.uuid = uuid;
    this.disk = disk;
    this.live = new LivePool(name);
  }

  /**
   * Opens the pool {@code name} on {@code disk}; {@code replyTo} (may be null) hears the outcome.
   * With {@code keepOnFailure} (a pool from the registry) a pool that cannot be imported stays,
   * Faulted; otherwise the actor stops.
   */
  static Behavior<Object> create(NodeServices services, ActorRef<NodeEvent> parent, String name,
      String uuid, String disk, Start start, Set<String> shares, boolean keepOnFailure,
      ActorRef<IoEngineReply> replyTo) {
    return create(services, parent, name, uuid, disk, start, null, shares, keepOnFailure, replyTo);
  }

  /** Takes over a pool imported already (a disk the node was told to import at start). */
  static Behavior<Object> adopt(NodeServices services, ActorRef<NodeEvent> parent, Pool pool) {
    return create(services, parent, pool.name(), pool.uuid().toString(), pool.diskUri(),
        Start.IMPORT, pool, Set.of(), false, null);
  }

  private static Behavior<Object> create(NodeServices services, ActorRef<NodeEvent> parent,
      String name, String uuid, String disk, Start start, Pool adopted, Set<String> shares,
      boolean keepOnFailure, ActorRef<IoEngineReply> replyTo) {
    return Behaviors.withStash(1000, stash -> Behaviors.withTimers(timers -> Behaviors.setup(ctx -> {
      PoolActor a = new PoolActor(ctx, timers, new Serial(ctx, stash, services), services, parent,
          name, uuid, disk);
      a.self = a.behavior();
      services.objects().poolOpened(a.live);
      a.open(start, adopted, shares, keepOnFailure, replyTo);
      return a.self;
    })));
  }

  private Behavior<Object> behavior() {
    return Behaviors.receive(Object.class)
        .onMessage(Serial.Finished.class, f -> {
          Behavior<Object> next = serial.finished(f, self);
          return stopping ? Behaviors.stopped() : next;
        })
        .onMessage(HealthNews.class, n -> {
          onHealth(n);
          return Behaviors.same();
        })
        .onMessage(Refresh.class, r -> {
          if (pool != null && !serial.busy()) {
            report();
          }
          return Behaviors.same();
        })
        .onMessage(IoEngineCommand.class, c -> {
          Behavior<Object> deferred = serial.deferIfBusy(c);
          if (deferred != null) {
            return deferred;
          }
          handle(c);
          return stopping ? Behaviors.stopped() : Behaviors.same();
        })
        .onSignal(PostStop.class, s -> {
          services.objects().poolClosed(live);
          close();
          return Behaviors.same();
        })
        .build();
  }

  // ---------------------------------------------------------------- open

  private void open(Start start, Pool adopted, Set<String> shares, boolean keepOnFailure,
      ActorRef<IoEngineReply> replyTo) {
    serial.run(() -> {
      Pool p = adopted != null ? adopted : openPool(start);
      p.countIo(services.countIo());
      try {
        for (Replica r : p.replicas()) {
          services.replicas().add(r);
        }
        for (String s : shares) {
          if (p.replica(UUID.fromString(s)).isPresent()) {
            share(s);
          }
        }
        services.registry().put(name, p.uuid().toString(), disk);
        return p;
      } catch (Exception e) {
        p.replicas().forEach(r -> unshareAndForget(r.uuid().toString()));
        p.export();
        throw e;
      }
    }, (p, err) -> {
      if (err == null) {
        pool = p;
        error = null;
        uuid = p.uuid().toString();
        shared.addAll(shares.stream().filter(s -> p.replica(UUID.fromString(s)).isPresent())
            .toList());
        watch(p);
        updateHealth();
        report();
        reply(replyTo, new IoEngineReply.PoolDone(info()));
        return;
      }
      IoEngineReply.Failed failed = Failures.of(err);
      if (keepOnFailure) {
        error = failed.message();
        restoreShares = shares;
        ctx.getLog().error("pool '{}' on {} is not available: {}", name, disk, error);
        report();
        reply(replyTo, unavailable());
      } else {
        parent.tell(new NodeEvent.PoolGone(name));
        reply(replyTo, failed);
        serial.drain(m -> answerGone(m, failed));
        stopping = true;
      }
    });
  }

  /**
   * Imports the pool on the disk, or formats the disk for a new pool when allowed and blank (or
   * when told to overwrite it). Every check runs before the first write; a refused request leaves
   * the disk as it was, and removes a file that opening the disk created.
   */
  private Pool openPool(Start start) throws Exception {
    UUID id;
    try {
      id = uuid.isEmpty() ? UUID.randomUUID() : UUID.fromString(uuid);
    } catch (IllegalArgumentException e) {
      throw Failures.refused(FailureKind.INVALID_ARGUMENT, "pool '" + name + "': uuid '" + uuid
          + "' is not a uuid");
    }
    BlockDevice dev = openDisk();
    try {
      Pool p = Pool.importFrom(dev);
      if (p.name().equals(name) && (uuid.isEmpty() || p.uuid().toString().equals(uuid))) {
        return p;
      }
      String found = "'" + p.name() + "' (" + p.uuid() + ")";
      p.export();
      if (start != Start.CREATE_OVERWRITE) {
        throw Failures.refused(FailureKind.ALREADY_EXISTS, "pool '" + name + "': disk " + disk
            + " holds another pool, " + found + (start == Start.CREATE
            ? "; create with overwrite to replace it" : ""));
      }
      dev = openDisk();
    } catch (PoolException e) {
      boolean formattable = start == Start.CREATE_OVERWRITE
          || start == Start.CREATE && e.kind() == PoolException.Kind.NOT_A_POOL;
      if (!formattable) {
        dev.abandon();
        throw e;
      }
    } catch (Exception | Error e) {
      dev.abandon();
      throw e;
    }
    try {
      return Pool.create(dev, name, id, clusterSize(dev), start == Start.CREATE_OVERWRITE);
    } catch (PoolException | RuntimeException e) {
      dev.abandon();
      throw e;
    }
  }

  private BlockDevice openDisk() throws Exception {
    try {
      return services.opener().open(disk);
    } catch (BdevException e) {
      throw Failures.refused(FailureKind.INVALID_ARGUMENT, "pool '" + name + "': cannot open disk "
          + disk + ": " + e.getMessage());
    }
  }

  /** Small disks (tests, malloc) get 1 MiB clusters so that they hold a useful number. */
  private static long clusterSize(BlockDevice dev) {
    return dev.size() < (4L << 30) ? 1L << 20 : Pool.DEFAULT_CLUSTER_SIZE;
  }

  // ---------------------------------------------------------------- commands

  private void handle(IoEngineCommand c) {
    if (pool == null) {
      handleUnavailable(c);
      return;
    }
    if (c instanceof IoEngineCommand.CreatePool p) {
      c.replyTo().tell(sameSpec(p.uuid(), p.disk()));
    } else if (c instanceof IoEngineCommand.ImportPool p) {
      openAgain(c, p.uuid(), p.disk());
    } else if (c instanceof IoEngineCommand.DestroyPool) {
      destroyPool(c.replyTo());
    } else if (c instanceof IoEngineCommand.CreateReplica r) {
      createReplica(r);
    } else if (c instanceof IoEngineCommand.DestroyReplica r) {
      destroyReplica(r);
    } else if (c instanceof IoEngineCommand.ShareReplica s) {
      shareReplica(s);
    } else {
      reply(c.replyTo(), new IoEngineReply.Failed(FailureKind.INTERNAL,
          "pool '" + name + "' cannot handle " + c.getClass().getSimpleName()));
    }
  }

  /**
   * An import of this pool again: a pool that is not Faulted answers with itself; a Faulted one
   * is exported and imported from its disk (the way back after a failed metadata write, or when
   * its disk returned without verifying). Never a format. Only an explicit import does this, and
   * not while the pool is merely Degraded (its disk reconnecting): exporting unshares replicas.
   */
  private void openAgain(IoEngineCommand c, String askedUuid, String askedDisk) {
    if (health != Health.FAULTED || !sameDisk(askedUuid, askedDisk)) {
      reply(c.replyTo(), sameSpec(askedUuid, askedDisk));
      return;
    }
    Pool p = pool;
    Set<String> shares = Set.copyOf(shared);
    ctx.getLog().info("pool '{}' is {} ({}): importing it again from {}", name, health, reason,
        disk);
    serial.run(() -> {
      for (Replica r : p.replicas()) {
        unshareAndForget(r.uuid().toString());
      }
      try {
        p.export();
      } catch (PoolException e) {
        // Closed either way; the import below reads the truth from the disk.
      }
      return null;
    }, (v, err) -> {
      pool = null;
      shared.clear();
      diskState = Disk.UP;
      diskReason = "";
      verifyFailure = null;
      open(Start.IMPORT, null, shares, true, c.replyTo());
    });
  }

  private IoEngineReply sameSpec(String askedUuid, String askedDisk) {
    if (sameDisk(askedUuid, askedDisk)) {
      return new IoEngineReply.PoolDone(info());
    }
    return new IoEngineReply.Failed(FailureKind.ALREADY_EXISTS, "pool '" + name + "' exists as "
        + uuid + " on " + disk + ", not as " + (askedUuid.isEmpty() ? "" : askedUuid + " ")
        + "on " + askedDisk);
  }

  /** A pool that failed to import answers with its error and can only be forgotten. */
  private void handleUnavailable(IoEngineCommand c) {
    if (c instanceof IoEngineCommand.DestroyPool) {
      serial.run(() -> {
        services.registry().remove(name);
        return null;
      }, (v, err) -> {
        if (err != null) {
          reply(c.replyTo(), Failures.of(err));
          return;
        }
        // The disk is left as it is: it may hold data someone wants back.
        gone(c.replyTo(), new IoEngineReply.Removed(name));
      });
    } else if (c instanceof IoEngineCommand.CreatePool p && sameDisk(p.uuid(), p.disk())
        || c instanceof IoEngineCommand.ImportPool i && sameDisk(i.uuid(), i.disk())) {
      // Perhaps the disk is back or repaired: try the import again (never a format).
      open(Start.IMPORT, null, restoreShares, true, c.replyTo());
    } else {
      reply(c.replyTo(), unavailable());
    }
  }

  private boolean sameDisk(String askedUuid, String askedDisk) {
    return askedDisk.equals(disk) && (askedUuid.isEmpty() || askedUuid.equals(uuid));
  }

  private IoEngineReply.Failed unavailable() {
    return new IoEngineReply.Failed(FailureKind.UNAVAILABLE, "pool '" + name + "' on " + disk
        + " could not be imported and is left untouched: " + error);
  }

  private void destroyPool(ActorRef<IoEngineReply> replyTo) {
    if (!pool.replicas().isEmpty()) {
      // Never destroy data: the replicas go first, each by its own command.
      reply(replyTo, new IoEngineReply.Failed(FailureKind.FAILED_PRECONDITION, "pool '" + name
          + "' still has " + pool.replicas().size() + " replicas; destroy them first"));
      return;
    }
    Pool p = pool;
    serial.run(() -> {
      services.registry().remove(name);
      p.destroy();
      return null;
    }, (v, err) -> {
      pool = null;
      // The pool is closed either way; what is left on the disk is for an operator to judge.
      gone(replyTo, err == null ? new IoEngineReply.Removed(name) : Failures.of(err));
    });
  }

  private void createReplica(IoEngineCommand.CreateReplica r) {
    UUID id;
    try {
      id = UUID.fromString(r.uuid());
    } catch (IllegalArgumentException e) {
      reply(r.replyTo(), new IoEngineReply.Failed(FailureKind.INVALID_ARGUMENT,
          "replica uuid '" + r.uuid() + "' is not a uuid"));
      return;
    }
    Replica existing = pool.replica(id).orElse(null);
    if (existing == null && health != Health.ONLINE) {
      reply(r.replyTo(), new IoEngineReply.Failed(FailureKind.UNAVAILABLE, "pool '" + name
          + "' is " + health + ": " + reason + "; it takes no new replicas"));
      return;
    }
    if (existing != null) {
      if (existing.size() == r.size() && existing.thin() == r.thin()) {
        reply(r.replyTo(), new IoEngineReply.ReplicaDone(info(existing)));
      } else {
        reply(r.replyTo(), new IoEngineReply.Failed(FailureKind.ALREADY_EXISTS, "replica "
            + r.uuid() + " exists in pool '" + name + "' with " + existing.size() + " bytes, "
            + (existing.thin() ? "thin" : "thick")));
      }
      return;
    }
    Pool p = pool;
    serial.run(() -> {
      Replica created = p.createReplica(id, r.uuid(), r.size(), r.thin());
      services.replicas().add(created);
      return created;
    }, (created, err) -> {
      report();
      reply(r.replyTo(), err == null ? new IoEngineReply.ReplicaDone(info(created))
          : Failures.of(err));
    });
  }

  private void destroyReplica(IoEngineCommand.DestroyReplica r) {
    Replica existing = find(r.uuid());
    if (existing == null) {
      reply(r.replyTo(), new IoEngineReply.Removed(r.uuid()));
      return;
    }
    Pool p = pool;
    serial.run(() -> {
      unshareAndForget(r.uuid());
      services.registry().setShared(name, r.uuid(), false);
      services.registry().forgetReservations(r.uuid());
      p.destroyReplica(existing.uuid());
      return null;
    }, (v, err) -> {
      shared.remove(r.uuid());
      report();
      reply(r.replyTo(), err == null ? new IoEngineReply.Removed(r.uuid()) : Failures.of(err));
    });
  }

  private void shareReplica(IoEngineCommand.ShareReplica s) {
    Replica existing = find(s.uuid());
    if (existing == null) {
      reply(s.replyTo(), new IoEngineReply.Failed(FailureKind.NOT_FOUND, "no replica " + s.uuid()
          + " in pool '" + name + "'"));
      return;
    }
    if (s.protocol() == Protocol.NBD) {
      reply(s.replyTo(), new IoEngineReply.Failed(FailureKind.INVALID_ARGUMENT, "replica "
          + s.uuid() + ": replicas are shared over NVMe/TCP (nvmf) only, not nbd"));
      return;
    }
    boolean want = s.protocol() == Protocol.NVMF;
    Set<String> hosts = want ? s.allowedHosts() : Set.of();
    String nqn = services.replicaNqn(s.uuid());
    if (want == shared.contains(s.uuid())
        && (!want || hosts.equals(services.nvmf().allowedHosts(nqn)))) {
      reply(s.replyTo(), new IoEngineReply.ReplicaDone(info(existing)));
      return;
    }
    serial.run(() -> {
      if (want) {
        // Shared already: a new host list (the nexus moved) replaces the old one in place.
        if (!services.nvmf().allowHosts(nqn, hosts)) {
          share(s.uuid(), hosts);
        }
      } else {
        services.nvmf().removeSubsystem(nqn);
      }
      services.registry().setShared(name, s.uuid(), want, hosts);
      return null;
    }, (v, err) -> {
      if (err == null) {
        if (want) {
          shared.add(s.uuid());
        } else {
          shared.remove(s.uuid());
        }
      }
      report();
      reply(s.replyTo(), err == null ? new IoEngineReply.ReplicaDone(info(existing))
          : Failures.of(err));
    });
  }

  /** Shares a replica again after an import, to the hosts the registry says it admitted. */
  private void share(String replica) throws BdevException {
    share(replica, services.registry().hosts(replica));
  }

  /**
   * The namespace reports the replica's uuid and the controller a replica's model number, so a
   * host can tell a replica from a volume; {@code hosts} empty admits any host.
   */
  private void share(String replica, Set<String> hosts) throws BdevException {
    // The reservations come back before any host can connect, and every change is on disk
    // before it takes effect: a restart must not let a fenced nexus write again.
    PoolRegistry registry = services.registry();
    services.nvmf().addSubsystem(services.replicaNqn(replica), services.replicas().view(replica),
        hosts, NodeServices.namespaceUuid(replica), NodeServices.REPLICA_MODEL,
        (nqn, r) -> {
          try {
            registry.reservations(replica, r);
          } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
          }
        }, registry.reservations(replica));
  }

  private void unshareAndForget(String replica) {
    services.nvmf().removeSubsystem(services.replicaNqn(replica));
    services.replicas().remove(replica);
  }

  private Replica find(String replica) {
    try {
      return pool.replica(UUID.fromString(replica)).orElse(null);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  // ---------------------------------------------------------------- health

  /** Forwards the pool's news to this actor; stale news (of a pool since closed) is dropped. */
  private void watch(Pool p) {
    ActorRef<Object> me = ctx.getSelf();
    p.watch(new PoolWatcher() {
      @Override
      public void unreachable(String why) {
        me.tell(new HealthNews.Unreachable(p, why));
      }

      @Override
      public void failed(String why) {
        me.tell(new HealthNews.DiskFailed(p, why));
      }

      @Override
      public void restored() {
        me.tell(new HealthNews.Restored(p));
      }

      @Override
      public void metadataFailed(String why) {
        me.tell(new HealthNews.MetadataFailed(p, why));
      }
    });
  }

  private void onHealth(HealthNews n) {
    if (n.pool() != pool) {
      return;
    }
    if (n instanceof HealthNews.Unreachable u) {
      if (diskState != Disk.FAILED) {
        diskState = Disk.UNREACHABLE;
        diskReason = "disk unreachable: " + u.reason();
      }
    } else if (n instanceof HealthNews.DiskFailed f) {
      diskState = Disk.FAILED;
      diskReason = "disk failed: " + f.reason();
    } else if (n instanceof HealthNews.Restored) {
      // Online only once the disk reads back as this pool: it may be another disk now.
      Pool p = pool;
      ctx.pipeToSelf(CompletableFuture.runAsync(() -> {
        try {
          p.verify();
        } catch (PoolException e) {
          throw new CompletionException(e);
        }
      }, services.blocking()), (v, err) -> new HealthNews.Verified(p,
          err instanceof CompletionException && err.getCause() != null ? err.getCause() : err));
      return;
    } else if (n instanceof HealthNews.Verified v) {
      if (v.error() == null) {
        diskState = Disk.UP;
        diskReason = "";
        verifyFailure = null;
      } else {
        verifyFailure = "the disk came back but does not read back as this pool ("
            + v.error().getMessage() + "); import the pool to try again";
      }
    } else if (!(n instanceof HealthNews.MetadataFailed)) {
      // MetadataFailed needs nothing here: the pool itself now reports metadataFailure().
      throw new IllegalStateException("unhandled pool health news " + n);
    }
    updateHealth();
  }

  /** Works out health and reason from what is known, and tells everyone when they change. */
  private void updateHealth() {
    Health h;
    String why;
    String meta = pool.metadataFailure().orElse(null);
    if (meta != null) {
      h = Health.FAULTED;
      why = "a metadata write failed (" + meta + "); the pool takes no metadata changes until"
          + " it is imported again" + (diskState == Disk.UP ? "" : "; " + diskReason);
    } else if (diskState == Disk.FAILED) {
      h = Health.FAULTED;
      why = diskReason;
    } else if (verifyFailure != null) {
      h = Health.FAULTED;
      why = verifyFailure;
    } else if (diskState == Disk.UNREACHABLE) {
      h = Health.DEGRADED;
      why = diskReason;
    } else {
      h = Health.ONLINE;
      why = "";
    }
    if (h == health && why.equals(reason)) {
      return;
    }
    Health from = health;
    health = h;
    reason = why;
    if (h == Health.ONLINE) {
      ctx.getLog().info("pool '{}' on {} is {} again", name, disk, h);
    } else {
      ctx.getLog().warn("pool '{}' on {} is {}: {}", name, disk, h, why);
    }
    report();
    if (from != h && services.bus() != null) {
      services.bus().poolStateChanged(name, uuid, disk, from, h, why);
    }
  }

  // ---------------------------------------------------------------- state

  private PoolInfo info() {
    if (pool == null) {
      return new PoolInfo(name, uuid, disk, Health.FAULTED, 0, 0, 0,
          error == null ? "" : "not imported: " + error);
    }
    PoolStats s = pool.stats();
    // The protocol's committed counts thick replicas too; the pool's own counts thin ones only.
    long committed = 0;
    for (Replica r : pool.replicas()) {
      committed += r.size();
    }
    return new PoolInfo(name, uuid, disk, health, s.capacity(), s.used(), committed, reason);
  }

  private ReplicaInfo info(Replica r) {
    String id = r.uuid().toString();
    boolean isShared = shared.contains(id);
    return new ReplicaInfo(id, name, r.size(), r.thin(), isShared ? Protocol.NVMF : Protocol.NONE,
        isShared ? services.nvmfUri(services.replicaNqn(id)) : r.uri(), health);
  }

  private void report() {
    List<ReplicaInfo> rs = new ArrayList<>();
    if (pool != null) {
      pool.replicas().forEach(r -> rs.add(info(r)));
    }
    live.set(pool, pool == null ? Health.FAULTED : health);
    NodeEvent.PoolChanged now = new NodeEvent.PoolChanged(name, info(), rs);
    if (!now.equals(reported)) {
      reported = now;
      parent.tell(now);
    }
    // Every change of the replicas ends in a report. A pool without thin replicas (or not imported)
    // has nothing to look at: its refresh would be an idle io-engine's only wake-up each second
    // (ADR idle-cost).
    boolean thin = rs.stream().anyMatch(ReplicaInfo::thin);
    if (thin && !timers.isTimerActive(REFRESH)) {
      timers.startTimerAtFixedRate(REFRESH, REFRESH_INTERVAL);
    } else if (!thin) {
      timers.cancel(REFRESH);
    }
  }

  /**
   * Ends the actor: tells the DataNode first, so that a command sent after the reply finds the
   * pool gone, then answers the command, then those that waited behind it.
   */
  private void gone(ActorRef<IoEngineReply> replyTo, IoEngineReply r) {
    parent.tell(new NodeEvent.PoolGone(name));
    reply(replyTo, r);
    serial.drain(m -> answerGone(m, null));
    stopping = true;
  }

  /** Answers a command that waited for this pool, which is gone (or never opened). */
  private void answerGone(Object m, IoEngineReply.Failed why) {
    if (m instanceof IoEngineCommand c && c.replyTo() != null) {
      if (c instanceof IoEngineCommand.DestroyPool || c instanceof IoEngineCommand.DestroyReplica) {
        c.replyTo().tell(new IoEngineReply.Removed(c instanceof IoEngineCommand.DestroyReplica r
            ? r.uuid() : name));
      } else {
        c.replyTo().tell(why != null ? why : new IoEngineReply.Failed(FailureKind.NOT_FOUND,
            "pool '" + name + "' was destroyed"));
      }
    }
  }

  private static void reply(ActorRef<IoEngineReply> to, IoEngineReply r) {
    if (to != null) {
      to.tell(r);
    }
  }

  /** Leaves the pool on its disk for the next start: exports it, unsharing its replicas. */
  private void close() {
    if (pool == null) {
      return;
    }
    for (Replica r : pool.replicas()) {
      unshareAndForget(r.uuid().toString());
    }
    try {
      pool.export();
    } catch (PoolException e) {
      ctx.getLog().warn("exporting pool '{}' failed: {}", name, e.getMessage());
    }
    pool = null;
  }
}
