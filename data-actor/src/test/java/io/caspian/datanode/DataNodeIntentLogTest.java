package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
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
import io.caspian.events.ioengine.IoEngineCommand.DestroyNexus;
import io.caspian.events.ioengine.IoEngineCommand.PublishNexus;
import io.caspian.events.ioengine.IoEngineCommand.RemoveChild;
import io.caspian.events.ioengine.IoEngineReply.NexusDone;
import io.caspian.events.ioengine.IoEngineReply.PoolDone;
import io.caspian.events.ioengine.IoEngineReply.Removed;
import io.caspian.events.ioengine.IoEngineReply.ReplicaDone;
import io.caspian.events.ioengine.NodeStateReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The io-engine holding a nexus restarts; the nexus is re-created as the control plane does it
 * (the children it knows in sync, then the others re-added), and the replica left out comes back
 * by a partial rebuild because the nexus's write-intent log in the data dir survived. Rebuilds run
 * at 1 MiB/s onto thick replicas, so a full rebuild of the 16 MiB volume would take 16 s, longer
 * than the report wait: coming Online within it proves the copy was partial.
 */
class DataNodeIntentLogTest {
  private static final long SIZE = 16L << 20;
  private static final long STRIDE = 4L << 20;
  private static final Config SLOW_REBUILD = ConfigFactory.parseString(
      "caspian.io-engine.rebuild-bandwidth = 1m\ncaspian.io-engine.rebuild-tasks = 1");

  @TempDir
  Path dir;

  private static ChildInfo child(NodeStateReport s, String uri) {
    return s.nexuses().isEmpty() ? null : s.nexuses().get(0).children().stream()
        .filter(c -> c.uri().equals(uri)).findFirst().orElse(null);
  }

  private static boolean online(NodeStateReport s, String uri) {
    ChildInfo c = child(s, uri);
    return c != null && c.state() == ChildState.ONLINE;
  }

  @Test
  void aReplicaLeftOutOfTheReCreatedNexusGetsAPartialRebuild() throws Exception {
    Path data = dir.resolve("node");
    String disk = "file://" + dir.resolve("disk") + "?size_mb=80";
    String vol = UUID.randomUUID().toString();
    List<String> ids = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString(),
        UUID.randomUUID().toString());
    String ua = "bdev:///" + ids.get(0);
    String ub = "bdev:///" + ids.get(1);
    String uc = "bdev:///" + ids.get(2);
    Path log = data.resolve("nexus").resolve(vol + ".wil");
    try (Nodes nodes = new Nodes(SLOW_REBUILD)) {
      ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("w1", data)
          .withDiskAllow(DiskAllowList.defaults(dir)));
      nodes.expect(node, r -> new CreatePool("p", "", disk, r), PoolDone.class);
      for (String id : ids) {
        nodes.expect(node, r -> new CreateReplica(id, "p", SIZE, true, r), ReplicaDone.class);
      }
      nodes.expect(node, r -> new CreateNexus(vol, SIZE, List.of(ua, ub, uc), r),
          NexusDone.class);
      String nbd = nodes.expect(node, r -> new PublishNexus(vol, Protocol.NBD, r),
          NexusDone.class).nexus().deviceUri();
      try (NbdClient c = new NbdClient(nbd)) {
        Data.write(c, 1, 3, STRIDE); // 1 MiB regions 0, 4 and 8
      }
      assertTrue(Files.exists(log), "the nexus keeps its log in the data dir");
    }

    try (Nodes nodes = new Nodes(SLOW_REBUILD)) {
      ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("w1", data)
          .withDiskAllow(DiskAllowList.defaults(dir)));
      TestProbe<NodeStateReport> sub = nodes.subscribe(node);
      Nodes.await(sub, s -> s.replicas().size() == 3);
      // C's replica was not reachable when the control plane re-created the nexus.
      nodes.expect(node, r -> new CreateNexus(vol, SIZE, List.of(ua, ub), r), NexusDone.class);
      String nbd = nodes.expect(node, r -> new PublishNexus(vol, Protocol.NBD, r),
          NexusDone.class).nexus().deviceUri();
      try (NbdClient c = new NbdClient(nbd)) {
        Data.write(c, 2, 2, STRIDE); // regions 0 and 4 again, while C is away
      }
      Nodes.await(sub, s -> online(s, ub));
      nodes.expect(node, r -> new AddChild(vol, uc, r), NexusDone.class);
      NodeStateReport done = Nodes.await(sub, s -> online(s, uc));
      assertEquals(Health.ONLINE, done.nexuses().get(0).status());

      // C alone serves every block: it has the writes from before the restart and since.
      nodes.expect(node, r -> new RemoveChild(vol, ua, r), NexusDone.class);
      nodes.expect(node, r -> new RemoveChild(vol, ub, r), NexusDone.class);
      try (NbdClient c = new NbdClient(nbd)) {
        Data.verify(c, 2, 2, STRIDE);
        assertEquals(Data.crc(Data.block(1, 2)), Data.crc(c.read(2 * STRIDE, Data.BLOCK)));
      }
      nodes.expect(node, r -> new DestroyNexus(vol, r), Removed.class);
      assertFalse(Files.exists(log), "destroying the nexus deletes its log");
    }
  }
}
