package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.ChildInfo;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineCommand.AddChild;
import io.caspian.events.ioengine.IoEngineCommand.CreateNexus;
import io.caspian.events.ioengine.IoEngineCommand.CreatePool;
import io.caspian.events.ioengine.IoEngineCommand.CreateReplica;
import io.caspian.events.ioengine.IoEngineCommand.PublishNexus;
import io.caspian.events.ioengine.IoEngineCommand.Rebuild;
import io.caspian.events.ioengine.IoEngineCommand.RebuildAction;
import io.caspian.events.ioengine.IoEngineCommand.RemoveChild;
import io.caspian.events.ioengine.IoEngineReply.Failed;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.IoEngineReply.NexusDone;
import io.caspian.events.ioengine.IoEngineReply.PoolDone;
import io.caspian.events.ioengine.IoEngineReply.ReplicaDone;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.NodeStateReport;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rebuild commands on a rebuild slowed to 4 MiB/s (16 MiB take about 4 s), so that pause,
 * resume and stop land while it runs; the rebuilt child then holds the data alone.
 */
class DataNodeRebuildTest {
  private static final long SIZE = 16L << 20;
  private static final long STRIDE = 1L << 20;
  private static Nodes nodes;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    nodes = new Nodes(ConfigFactory.parseString(
        "caspian.io-engine.rebuild-bandwidth = 4m\ncaspian.io-engine.rebuild-tasks = 1"));
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  private static ChildInfo child(NexusInfo n, String uri) {
    return n.children().stream().filter(c -> c.uri().equals(uri)).findFirst().orElseThrow();
  }

  private static ChildInfo child(NodeStateReport s, String uri) {
    return s.nexuses().isEmpty() ? null : s.nexuses().get(0).children().stream()
        .filter(c -> c.uri().equals(uri)).findFirst().orElse(null);
  }

  @Test
  void rebuildStartPauseResumeStop() throws Exception {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("r1", dir));
    nodes.expect(node, r -> new CreatePool("p", "", "malloc:///rebuild?size_mb=64", r),
        PoolDone.class);
    String a = UUID.randomUUID().toString();
    String b = UUID.randomUUID().toString();
    for (String id : List.of(a, b)) {
      nodes.expect(node, r -> new CreateReplica(id, "p", SIZE, false, r), ReplicaDone.class);
    }
    String ua = "bdev:///" + a;
    String ub = "bdev:///" + b;
    String vol = UUID.randomUUID().toString();
    nodes.expect(node, r -> new CreateNexus(vol, SIZE, List.of(ua), r), NexusDone.class);
    String nbd = nodes.expect(node, r -> new PublishNexus(vol, Protocol.NBD, r), NexusDone.class)
        .nexus().deviceUri();
    try (NbdClient c = new NbdClient(nbd)) {
      Data.write(c, 3, 16, STRIDE);
    }
    assertEquals(FailureKind.INVALID_ARGUMENT, nodes.expect(node,
        r -> new Rebuild(vol, ua, RebuildAction.PAUSE, r), Failed.class).kind());
    assertEquals(FailureKind.NOT_FOUND, nodes.expect(node,
        r -> new Rebuild(vol, ub, RebuildAction.START, r), Failed.class).kind());

    TestProbe<NodeStateReport> sub = nodes.subscribe(node);
    NexusInfo added = nodes.expect(node, r -> new AddChild(vol, ub, r), NexusDone.class).nexus();
    assertEquals(ChildState.DEGRADED, child(added, ub).state());
    assertEquals(Health.DEGRADED, added.status());
    Nodes.await(sub, s -> child(s, ub) != null && child(s, ub).rebuildProgress() >= 0
        && "rebuilding".equals(child(s, ub).reason()));

    NexusInfo paused = nodes.expect(node, r -> new Rebuild(vol, ub, RebuildAction.PAUSE, r),
        NexusDone.class).nexus();
    int atPause = child(paused, ub).rebuildProgress();
    assertTrue(atPause >= 0 && atPause < 100, "progress " + atPause);
    nodes.expect(node, r -> new Rebuild(vol, ub, RebuildAction.PAUSE, r), NexusDone.class);
    Thread.sleep(700);
    NexusInfo still = nodes.expect(node, r -> new CreateNexus(vol, SIZE, List.of(ua), r),
        NexusDone.class).nexus();
    // A copy in flight at the pause may still land: at most one segment of 16 MiB.
    assertTrue(child(still, ub).rebuildProgress() <= atPause + 1,
        "paused at " + atPause + " but now " + child(still, ub).rebuildProgress());

    nodes.expect(node, r -> new Rebuild(vol, ub, RebuildAction.RESUME, r), NexusDone.class);
    nodes.expect(node, r -> new Rebuild(vol, ub, RebuildAction.RESUME, r), NexusDone.class);
    int resumedFrom = child(still, ub).rebuildProgress();
    Nodes.await(sub, s -> child(s, ub) != null && child(s, ub).rebuildProgress() > resumedFrom);

    NexusInfo stopped = nodes.expect(node, r -> new Rebuild(vol, ub, RebuildAction.STOP, r),
        NexusDone.class).nexus();
    assertEquals(ChildState.DEGRADED, child(stopped, ub).state());
    ChildInfo out = child(Nodes.await(sub, s -> child(s, ub) != null
        && child(s, ub).rebuildProgress() == -1), ub);
    assertEquals(ChildState.DEGRADED, out.state());
    assertEquals("out of sync", out.reason());
    nodes.expect(node, r -> new Rebuild(vol, ub, RebuildAction.STOP, r), NexusDone.class);

    nodes.expect(node, r -> new Rebuild(vol, ub, RebuildAction.START, r), NexusDone.class);
    NodeStateReport done = Nodes.await(sub, s -> child(s, ub) != null
        && child(s, ub).state() == ChildState.ONLINE);
    assertEquals(Health.ONLINE, done.nexuses().get(0).status());

    // The rebuilt child alone serves every block.
    nodes.expect(node, r -> new RemoveChild(vol, ua, r), NexusDone.class);
    try (NbdClient c = new NbdClient(nbd)) {
      Data.verify(c, 3, 16, STRIDE);
    }
  }
}
