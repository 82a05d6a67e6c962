package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.BdevException;
import io.caspian.events.ChildState;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineCommand.CreateNexus;
import io.caspian.events.ioengine.IoEngineCommand.CreatePool;
import io.caspian.events.ioengine.IoEngineCommand.CreateReplica;
import io.caspian.events.ioengine.IoEngineCommand.DestroyNexus;
import io.caspian.events.ioengine.IoEngineCommand.PublishNexus;
import io.caspian.events.ioengine.IoEngineCommand.ShareReplica;
import io.caspian.events.ioengine.IoEngineProtocol;
import io.caspian.events.ioengine.IoEngineReply;
import io.caspian.events.ioengine.IoEngineReply.Failed;
import io.caspian.events.ioengine.IoEngineReply.NexusDone;
import io.caspian.events.ioengine.IoEngineReply.PoolDone;
import io.caspian.events.ioengine.IoEngineReply.Removed;
import io.caspian.events.ioengine.IoEngineReply.ReplicaDone;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.nvmf.host.NvmfDevice;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may reach a replica: only the node whose nexus uses it, named by its host NQN; the list
 * follows the nexus when it moves, and survives an io-engine restart.
 */
class DataNodeAccessTest {
  private static final long SIZE = 16L << 20;
  private static final long STRIDE = 1L << 20;
  private static final String INTRUDER = "nqn.2014-08.org.nvmexpress:uuid:0badc0de-0000-4000-8000-000000000001";

  @TempDir
  Path dir;

  /** Connects to {@code uri} as {@code hostNqn}, as a host outside the io-engines would. */
  private static void connectAs(String uri, String hostNqn) throws BdevException {
    NvmfDevice.open(uri + "?hostnqn=" + hostNqn + "&connect_timeout_ms=3000").close();
  }

  private static void refusedAs(String uri, String hostNqn) {
    BdevException e = assertThrows(BdevException.class, () -> connectAs(uri, hostNqn));
    assertTrue(e.getMessage().contains("not allowed"), e.getMessage());
  }

  @Test
  void aSharedReplicaAdmitsOnlyTheNodeOfItsNexusAndFollowsTheNexus() throws Exception {
    Path aData = dir.resolve("a");
    String disk = "file://" + dir.resolve("disk") + "?size_mb=64";
    String rep = UUID.randomUUID().toString();
    String vol = UUID.randomUUID().toString();
    String hostB = IoEngineProtocol.hostNqn("acc-b");
    String hostC = IoEngineProtocol.hostNqn("acc-c");
    String uri;
    try (Nodes nodes = new Nodes()) {
      ActorRef<IoEngineCommand> a = nodes.start(DataNodeSettings.local("acc-a", aData)
          .withDiskAllow(DiskAllowList.defaults(dir)));
      ActorRef<IoEngineCommand> b = nodes.start(DataNodeSettings.local("acc-b", dir.resolve("b")));
      ActorRef<IoEngineCommand> c = nodes.start(DataNodeSettings.local("acc-c", dir.resolve("c")));
      nodes.expect(a, r -> new CreatePool("pa", "", disk, r), PoolDone.class);
      nodes.expect(a, r -> new CreateReplica(rep, "pa", SIZE, true, r), ReplicaDone.class);
      uri = nodes.expect(a, r -> new ShareReplica(rep, Protocol.NVMF, Set.of(hostB), r),
          ReplicaDone.class).replica().uri();

      refusedAs(uri, INTRUDER);
      refusedAs(uri, hostC);
      String u = uri;
      IoEngineReply onC = nodes.ask(c, r -> new CreateNexus(vol, SIZE, List.of(u), r));
      assertTrue(onC instanceof Failed f && f.message().contains("not allowed"),
          "a nexus on a node off the list got " + onC);

      NexusInfo n = nodes.expect(b, r -> new CreateNexus(vol, SIZE, List.of(u), r), NexusDone.class)
          .nexus();
      assertEquals(ChildState.ONLINE, n.children().get(0).state());
      String nbd = nodes.expect(b, r -> new PublishNexus(vol, Protocol.NBD, r), NexusDone.class)
          .nexus().deviceUri();
      try (NbdClient client = new NbdClient(nbd)) {
        Data.write(client, 6, 16, STRIDE);
      }
      nodes.expect(b, r -> new DestroyNexus(vol, r), Removed.class);

      // The nexus moves to node c: the same share, now for c only.
      assertEquals(uri, nodes.expect(a, r -> new ShareReplica(rep, Protocol.NVMF, Set.of(hostC), r),
          ReplicaDone.class).replica().uri());
      refusedAs(uri, hostB);
      nodes.expect(c, r -> new CreateNexus(vol, SIZE, List.of(u), r), NexusDone.class);
      String moved = nodes.expect(c, r -> new PublishNexus(vol, Protocol.NBD, r), NexusDone.class)
          .nexus().deviceUri();
      try (NbdClient client = new NbdClient(moved)) {
        Data.verify(client, 6, 16, STRIDE);
      }
      nodes.expect(c, r -> new DestroyNexus(vol, r), Removed.class);
    }

    // A restarted io-engine shares the replica again to the same host, not to any host.
    try (Nodes nodes = new Nodes()) {
      ActorRef<IoEngineCommand> a = nodes.start(DataNodeSettings.local("acc-a", aData)
          .withDiskAllow(DiskAllowList.defaults(dir)));
      String again = Nodes.await(nodes.subscribe(a), s -> !s.replicas().isEmpty()).replicas().get(0)
          .uri();
      refusedAs(again, INTRUDER);
      refusedAs(again, hostB);
      connectAs(again, hostC);
    }
  }

  @Test
  void aVolumeTargetAdmitsOnlyTheHostsItIsPublishedToAndPublishingAgainReplacesThem()
      throws Exception {
    String h1 = "nqn.2014-08.org.nvmexpress:uuid:11111111-1111-4111-8111-111111111111";
    String h2 = "nqn.2014-08.org.nvmexpress:uuid:22222222-2222-4222-8222-222222222222";
    try (Nodes nodes = new Nodes()) {
      ActorRef<IoEngineCommand> a = nodes.start(DataNodeSettings.local("acc-v", dir.resolve("v")));
      nodes.expect(a, r -> new CreatePool("pv", "", "malloc:///access-v?size_mb=64", r),
          PoolDone.class);
      String rep = UUID.randomUUID().toString();
      nodes.expect(a, r -> new CreateReplica(rep, "pv", SIZE, true, r), ReplicaDone.class);
      String vol = UUID.randomUUID().toString();
      nodes.expect(a, r -> new CreateNexus(vol, SIZE, List.of("bdev:///" + rep), r),
          NexusDone.class);
      String uri = nodes.expect(a, r -> new PublishNexus(vol, Protocol.NVMF, Set.of(h1), r),
          NexusDone.class).nexus().deviceUri();
      connectAs(uri, h1);
      refusedAs(uri, h2);
      refusedAs(uri, INTRUDER);

      assertEquals(uri, nodes.expect(a, r -> new PublishNexus(vol, Protocol.NVMF, Set.of(h2), r),
          NexusDone.class).nexus().deviceUri());
      refusedAs(uri, h1);
      connectAs(uri, h2);

      // No host list: any host, as for NBD, which has no host identity.
      nodes.expect(a, r -> new PublishNexus(vol, Protocol.NVMF, r), NexusDone.class);
      connectAs(uri, INTRUDER);
      nodes.expect(a, r -> new DestroyNexus(vol, r), Removed.class);
    }
  }
}
