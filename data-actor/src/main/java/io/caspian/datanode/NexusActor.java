package io.caspian.datanode;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.IoStats;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.ChildInfo;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineReply;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.NexusStats;
import io.caspian.nexus.IntentLogOptions;
import io.caspian.nexus.Nexus;
import io.caspian.nexus.NexusListener;
import io.caspian.nexus.NexusOptions;
import io.caspian.rebuild.RebuildOptions;
import io.caspian.rebuild.RebuildState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Owns one nexus and its rebuild jobs: creates and destroys it, publishes it over NBD or
 * NVMe/TCP, adds and removes children, drives rebuilds and sets the error policy. Management calls
 * that wait for writes in flight run on the blocking dispatcher, one at a time. The nexus's
 * listener turns its events (state changes, never per-I/O) into a message here; while a rebuild
 * runs, a tick refreshes the reported progress.
 */
final class NexusActor {

  /** The nexus changed (a listener event) or a rebuild may have progressed (the tick). */
  private record Refresh() implements NoSerializationVerificationNeeded {
  }

  /** Time to publish the children's error counts to the bus. */
  private record PublishErrorCounts() implements NoSerializationVerificationNeeded {
  }

  private static final Refresh REFRESH = new Refresh();
  static final Duration PROGRESS_INTERVAL = Duration.ofMillis(500);
  /**
   * Every change but a rebuild's progress arrives as a nexus event; this slow look is only a safety
   * net for a change that did not, and costs an idle nexus one comparison per period.
   */
  static final Duration IDLE_INTERVAL = Duration.ofSeconds(10);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final ActorContext<Object> ctx;
  private final Serial serial;
  private final NodeServices services;
  private final ActorRef<NodeEvent> parent;
  private final String uuid;
  private final long size;
  private Nexus nexus;
  private Protocol protocol = Protocol.NONE;
  private String deviceUri = "";
  private final ChildFaults faults;
  private NexusInfo reported;
  private TimerScheduler<Object> timers;
  private Duration refreshEvery;
  private boolean stopping;
  private Behavior<Object> self;

  private NexusActor(ActorContext<Object> ctx, Serial serial, NodeServices services,
      ActorRef<NodeEvent> parent, String uuid, long size) {
    this.ctx = ctx;
    this.serial = serial;
    this.services = services;
    this.parent = parent;
    this.uuid = uuid;
    this.size = size;
    this.faults = new ChildFaults(services.childOpener());
  }

  static Behavior<Object> create(NodeServices services, ActorRef<NodeEvent> parent,
      IoEngineCommand.CreateNexus c) {
    return Behaviors.withStash(1000, stash -> Behaviors.withTimers(timers ->
        Behaviors.setup(ctx -> {
          NexusActor a = new NexusActor(ctx, new Serial(ctx, stash, services), services, parent,
              c.uuid(), c.size());
          a.self = a.behavior();
          a.open(c, timers);
          return a.self;
        })));
  }

  private Behavior<Object> behavior() {
    return Behaviors.receive(Object.class)
        .onMessage(Serial.Finished.class, f -> {
          Behavior<Object> next = serial.finished(f, self);
          return stopping ? Behaviors.stopped() : next;
        })
        .onMessage(Refresh.class, r -> {
          report();
          return Behaviors.same();
        })
        .onMessage(PublishErrorCounts.class, r -> {
          if (nexus != null) {
            nexus.publishErrorCounts();
          }
          return Behaviors.same();
        })
        .onMessage(IoEngineCommand.GetNexusStats.class, c -> nexus != null, c -> {
          // Lock-free counters: answered at once, even while a change (a publish, a rebuild start) runs.
          c.replyTo().tell(new IoEngineReply.Stats(stats()));
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
          close();
          return Behaviors.same();
        })
        .build();
  }

  private void open(IoEngineCommand.CreateNexus c, TimerScheduler<Object> timers) {
    this.timers = timers;
    NexusOptions options = NexusOptions.defaults().withExecutor(services.rebuilds())
        .withRebuild(services.rebuild())
        .withIntentLog(IntentLogOptions.at(services.intentLog(c.uuid())))
        .withGeneration(c.generation());
    ActorRef<Object> me = ctx.getSelf();
    NexusListener listener = e -> me.tell(REFRESH);
    serial.run(() -> {
      Nexus n = Nexus.create(c.uuid(), c.size(), c.children(), faults.opener(), options);
      n.countIo(services.countIo());
      n.addListener(listener);
      if (services.bus() != null) {
        services.bus().attach(n);
      }
      return n;
    }, (n, err) -> {
      if (err != null) {
        IoEngineReply.Failed failed = Failures.of(err);
        parent.tell(new NodeEvent.NexusGone(uuid));
        c.replyTo().tell(failed);
        serial.drain(m -> answerGone(m, failed));
        stopping = true;
        return;
      }
      nexus = n;
      services.objects().nexusOpened(n);
      if (services.bus() != null) {
        timers.startTimerAtFixedRate(new PublishErrorCounts(), services.errorCountsInterval());
      }
      report();
      c.replyTo().tell(new IoEngineReply.NexusDone(info()));
    });
  }

  private void handle(IoEngineCommand c) {
    if (c instanceof IoEngineCommand.CreateNexus n) {
      c.replyTo().tell(n.size() == size ? new IoEngineReply.NexusDone(info())
          : new IoEngineReply.Failed(FailureKind.ALREADY_EXISTS, "nexus " + uuid + " exists with "
              + size + " bytes, not " + n.size()));
    } else if (c instanceof IoEngineCommand.DestroyNexus) {
      destroy(c.replyTo());
    } else if (c instanceof IoEngineCommand.PublishNexus p) {
      publish(p);
    } else if (c instanceof IoEngineCommand.UnpublishNexus u) {
      unpublishCommand(u.replyTo());
    } else if (c instanceof IoEngineCommand.AddChild a) {
      if (isChild(a.uri())) {
        a.replyTo().tell(new IoEngineReply.NexusDone(info()));
      } else {
        change(a.replyTo(), () -> nexus.addChild(a.uri()));
      }
    } else if (c instanceof IoEngineCommand.RemoveChild r) {
      if (!isChild(r.uri())) {
        // A member left out of a re-created nexus and now given up: stop holding regions for it.
        nexus.forgetMember(r.uri());
        r.replyTo().tell(new IoEngineReply.NexusDone(info()));
      } else {
        change(r.replyTo(), () -> {
          nexus.removeChild(r.uri());
          faults.forget(r.uri());
        });
      }
    } else if (c instanceof IoEngineCommand.Rebuild r) {
      rebuild(r);
    } else if (c instanceof IoEngineCommand.SetErrorPolicy p) {
      if (p.errorThreshold() < 1) {
        p.replyTo().tell(new IoEngineReply.Failed(FailureKind.INVALID_ARGUMENT, "nexus " + uuid
            + ": error threshold must be at least 1, not " + p.errorThreshold()));
      } else {
        nexus.setErrorPolicy(nexus.errorPolicy().withThreshold(p.errorThreshold()));
        report();
        p.replyTo().tell(new IoEngineReply.NexusDone(info()));
      }
    } else if (c instanceof IoEngineCommand.SetRebuildRate s) {
      if (s.bytesPerSecond() < 0) {
        s.replyTo().tell(new IoEngineReply.Failed(FailureKind.INVALID_ARGUMENT, "nexus " + uuid
            + ": a rebuild rate is 0 (no cap) or positive, not " + s.bytesPerSecond()));
      } else {
        RebuildOptions o = nexus.rebuildOptions();
        nexus.setRebuildOptions(new RebuildOptions(o.maxTasks(), s.bytesPerSecond(), o.yieldToWorkload()));
        s.replyTo().tell(new IoEngineReply.NexusDone(info()));
      }
    } else if (c instanceof IoEngineCommand.InjectFault f) {
      onChild(f.uri(), f.replyTo(), () -> faults.inject(f));
    } else if (c instanceof IoEngineCommand.ClearFaults f) {
      onChild(f.uri(), f.replyTo(), () -> faults.clear(f.uri()));
    } else if (c instanceof IoEngineCommand.GetNexusStats g) {
      g.replyTo().tell(new IoEngineReply.Stats(stats()));
    } else if (c.replyTo() != null) {
      c.replyTo().tell(new IoEngineReply.Failed(FailureKind.INTERNAL,
          "nexus " + uuid + " cannot handle " + c.getClass().getSimpleName()));
    }
  }

  private NexusStats stats() {
    IoStats s = nexus.ioStats();
    return new NexusStats(uuid, s.readOps(), s.bytesRead(), s.readLatencyUs(), s.writeOps(),
        s.bytesWritten(), s.writeLatencyUs());
  }

  /** Runs a quick, non-blocking change on one child and answers with the nexus. */
  private void onChild(String uri, ActorRef<IoEngineReply> replyTo, Change work) {
    if (!isChild(uri)) {
      replyTo.tell(new IoEngineReply.Failed(FailureKind.NOT_FOUND, "nexus " + uuid + " has no child " + uri));
      return;
    }
    try {
      work.run();
      replyTo.tell(new IoEngineReply.NexusDone(info()));
    } catch (Exception e) {
      replyTo.tell(Failures.of(e));
    }
  }

  private void rebuild(IoEngineCommand.Rebuild r) {
    if (!isChild(r.uri())) {
      r.replyTo().tell(new IoEngineReply.Failed(FailureKind.NOT_FOUND, "nexus " + uuid
          + " has no child " + r.uri()));
      return;
    }
    RebuildState state = rebuildState(r.uri());
    switch (r.action()) {
      case START -> change(r.replyTo(), () -> nexus.onlineChild(r.uri()));
      case PAUSE -> {
        if (state == RebuildState.PAUSED) {
          r.replyTo().tell(new IoEngineReply.NexusDone(info()));
        } else {
          change(r.replyTo(), () -> nexus.pauseRebuild(r.uri()));
        }
      }
      case RESUME -> {
        if (state == RebuildState.RUNNING || state == RebuildState.INIT) {
          r.replyTo().tell(new IoEngineReply.NexusDone(info()));
        } else {
          change(r.replyTo(), () -> nexus.resumeRebuild(r.uri()));
        }
      }
      case STOP -> {
        if (state == null) {
          r.replyTo().tell(new IoEngineReply.NexusDone(info()));
        } else {
          change(r.replyTo(), () -> {
            // Copies in flight finish first; answer once the job is over, not while it winds down.
            var over = nexus.rebuildCompletion(r.uri());
            nexus.stopRebuild(r.uri());
            over.get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          });
        }
      }
    }
  }

  /** The state of the rebuild onto {@code child}, or null when none runs. */
  private RebuildState rebuildState(String child) {
    try {
      return nexus.rebuildState(child);
    } catch (BdevException e) {
      return null;
    }
  }

  private void publish(IoEngineCommand.PublishNexus p) {
    if (p.protocol() == Protocol.NONE) {
      unpublishCommand(p.replyTo());
      return;
    }
    if (protocol == p.protocol()) {
      String nqn = services.nexusNqn(uuid);
      if (protocol != Protocol.NVMF || p.allowedHosts().equals(services.nvmf().allowedHosts(nqn))) {
        p.replyTo().tell(new IoEngineReply.NexusDone(info()));
        return;
      }
      // Published again to other hosts: the list is replaced, and hosts taken off it disconnected.
      change(p.replyTo(), () -> services.nvmf().allowHosts(nqn, p.allowedHosts()));
      return;
    }
    if (protocol != Protocol.NONE) {
      p.replyTo().tell(new IoEngineReply.Failed(FailureKind.ALREADY_EXISTS, "nexus " + uuid
          + " is published over " + protocol + " at " + deviceUri + "; unpublish it first"));
      return;
    }
    Protocol wanted = p.protocol();
    serial.run(() -> {
      if (wanted == Protocol.NBD) {
        services.nbd().export(uuid, nexus, false);
        return services.nbdUri(uuid);
      }
      services.nvmf().addSubsystem(services.nexusNqn(uuid), nexus, p.allowedHosts(),
          NodeServices.namespaceUuid(uuid), NodeServices.VOLUME_MODEL);
      return services.nvmfUri(services.nexusNqn(uuid));
    }, (uri, err) -> {
      if (err == null) {
        protocol = wanted;
        deviceUri = uri;
      }
      report();
      p.replyTo().tell(err == null ? new IoEngineReply.NexusDone(info()) : Failures.of(err));
    });
  }

  private void unpublishCommand(ActorRef<IoEngineReply> replyTo) {
    Protocol was = protocol;
    if (was == Protocol.NONE) {
      replyTo.tell(new IoEngineReply.NexusDone(info()));
      return;
    }
    serial.run(() -> {
      unexport(was);
      return null;
    }, (v, err) -> {
      if (err == null) {
        protocol = Protocol.NONE;
        deviceUri = "";
      }
      report();
      replyTo.tell(err == null ? new IoEngineReply.NexusDone(info()) : Failures.of(err));
    });
  }

  /** Blocking: stops exporting the nexus and drops its hosts' connections. */
  private void unexport(Protocol was) {
    if (was == Protocol.NBD) {
      services.nbd().unexport(uuid);
    } else if (was == Protocol.NVMF) {
      services.nvmf().removeSubsystem(services.nexusNqn(uuid));
    }
  }

  /** What a blocking nexus call does; the exception becomes the reply. */
  @FunctionalInterface
  private interface Change {
    void run() throws Exception;
  }

  private void change(ActorRef<IoEngineReply> replyTo, Change work) {
    serial.run(() -> {
      work.run();
      return null;
    }, (v, err) -> {
      report();
      replyTo.tell(err == null ? new IoEngineReply.NexusDone(info()) : Failures.of(err));
    });
  }

  private void destroy(ActorRef<IoEngineReply> replyTo) {
    Nexus n = nexus;
    Protocol was = protocol;
    serial.run(() -> {
      unexport(was);
      detach(n);
      n.destroy();
      return null;
    }, (v, err) -> {
      nexus = null;
      protocol = Protocol.NONE;
      deviceUri = "";
      parent.tell(new NodeEvent.NexusGone(uuid));
      replyTo.tell(err == null ? new IoEngineReply.Removed(uuid) : Failures.of(err));
      serial.drain(m -> answerGone(m, null));
      stopping = true;
    });
  }

  private void answerGone(Object m, IoEngineReply.Failed why) {
    if (m instanceof IoEngineCommand c && c.replyTo() != null) {
      c.replyTo().tell(c instanceof IoEngineCommand.DestroyNexus ? new IoEngineReply.Removed(uuid)
          : why != null ? why : new IoEngineReply.Failed(FailureKind.NOT_FOUND, "nexus " + uuid
              + " was destroyed"));
    }
  }

  private boolean isChild(String uri) {
    return nexus.children().stream().anyMatch(c -> c.uri().equals(uri));
  }

  // ---------------------------------------------------------------- state

  private NexusInfo info() {
    List<ChildInfo> children = new ArrayList<>();
    for (io.caspian.nexus.ChildInfo c : nexus.children()) {
      children.add(new ChildInfo(c.uri(), state(c.state()), reason(c), progress(c)));
    }
    Health health = switch (nexus.state()) {
      case ONLINE -> Health.ONLINE;
      case DEGRADED -> Health.DEGRADED;
      case FAULTED -> Health.FAULTED;
    };
    return new NexusInfo(uuid, size, health, protocol, deviceUri, children,
        nexus.errorPolicy().threshold(), nexus.rebuildOptions().bytesPerSecond());
  }

  private static ChildState state(io.caspian.nexus.ChildState s) {
    if (s instanceof io.caspian.nexus.ChildState.Online) {
      return ChildState.ONLINE;
    }
    return s instanceof io.caspian.nexus.ChildState.Degraded ? ChildState.DEGRADED
        : ChildState.FAULTED;
  }

  private static String reason(io.caspian.nexus.ChildInfo c) {
    if (c.state() instanceof io.caspian.nexus.ChildState.Degraded d) {
      return c.rebuilding() ? "rebuilding" : d.reason().name().toLowerCase().replace('_', ' ');
    }
    if (c.state() instanceof io.caspian.nexus.ChildState.Faulted f) {
      return f.reason().name().toLowerCase().replace('_', ' ');
    }
    return "";
  }

  private int progress(io.caspian.nexus.ChildInfo c) {
    if (!c.rebuilding()) {
      return -1;
    }
    try {
      return nexus.rebuildStats(c.uri()).percent();
    } catch (BdevException e) {
      return -1; // finished between the two calls
    }
  }

  /** Tells the DataNode the current state if it changed since last told. */
  /** Ticks every {@link #PROGRESS_INTERVAL} while a child rebuilds, else every {@link #IDLE_INTERVAL}. */
  private void pace() {
    if (nexus == null) {
      return;
    }
    boolean rebuilding = false;
    for (io.caspian.nexus.ChildInfo c : nexus.children()) {
      rebuilding |= c.rebuilding();
    }
    Duration every = rebuilding ? PROGRESS_INTERVAL : IDLE_INTERVAL;
    if (!every.equals(refreshEvery)) {
      refreshEvery = every;
      timers.startTimerAtFixedRate(REFRESH, every);
    }
  }

  private void report() {
    if (nexus == null) {
      return;
    }
    NexusInfo now = info();
    if (!now.equals(reported)) {
      reported = now;
      parent.tell(new NodeEvent.NexusChanged(uuid, now));
    }
    pace();
  }

  /** The nexus does not outlive its io-engine: the control plane re-creates it after a restart. */
  private void close() {
    if (nexus == null) {
      return;
    }
    unexport(protocol);
    detach(nexus);
    nexus.close();
    nexus = null;
  }

  private void detach(Nexus n) {
    services.objects().nexusClosed(n);
    if (services.bus() != null) {
      services.bus().detach(n);
    }
  }
}
