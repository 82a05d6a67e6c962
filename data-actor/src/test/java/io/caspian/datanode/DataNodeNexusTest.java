package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.caspian.events.ioengine.IoEngineCommand.SetErrorPolicy;
import io.caspian.events.ioengine.IoEngineCommand.ShareReplica;
import io.caspian.events.ioengine.IoEngineCommand.UnpublishNexus;
import io.caspian.events.ioengine.IoEngineReply.Failed;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.IoEngineReply.NexusDone;
import io.caspian.events.ioengine.IoEngineReply.PoolDone;
import io.caspian.events.ioengine.IoEngineReply.Removed;
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

/** Nexus commands, publishing over NBD and NVMe/TCP, and replicas shared between two nodes. */
class DataNodeNexusTest {
  private static final long SIZE = 16L << 20;
  private static final long STRIDE = 1L << 20;
  private static Nodes nodes;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    nodes = new Nodes();
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  private String replica(ActorRef<IoEngineCommand> node, String pool) {
    String id = UUID.randomUUID().toString();
    nodes.expect(node, r -> new CreateReplica(id, pool, SIZE, true, r), ReplicaDone.class);
    return id;
  }

  @Test
  void mirroredNexusPublishedOverNbdKeepsDataOnEveryChild() throws Exception {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("x1", dir));
    nodes.expect(node, r -> new CreatePool("p", "", "malloc:///mirror?size_mb=64", r), PoolDone.class);
    String a = replica(node, "p");
    String b = replica(node, "p");
    String vol = UUID.randomUUID().toString();
    List<String> children = List.of("bdev:///" + a, "bdev:///" + b);
    NexusInfo n = nodes.expect(node, r -> new CreateNexus(vol, SIZE, children, r), NexusDone.class)
        .nexus();
    assertEquals(Health.ONLINE, n.status());
    assertEquals(List.of(new ChildInfo("bdev:///" + a, ChildState.ONLINE, "", -1),
        new ChildInfo("bdev:///" + b, ChildState.ONLINE, "", -1)), n.children());
    assertEquals(64, n.errorThreshold());
    assertEquals(n, nodes.expect(node, r -> new CreateNexus(vol, SIZE, children, r), NexusDone.class)
        .nexus());
    assertEquals(FailureKind.ALREADY_EXISTS, nodes.expect(node,
        r -> new CreateNexus(vol, SIZE * 2, children, r), Failed.class).kind());

    NexusInfo pub = nodes.expect(node, r -> new PublishNexus(vol, Protocol.NBD, r), NexusDone.class)
        .nexus();
    assertEquals(Protocol.NBD, pub.protocol());
    assertTrue(pub.deviceUri().matches("nbd://127\\.0\\.0\\.1:\\d+/" + vol), pub.deviceUri());
    assertEquals(pub, nodes.expect(node, r -> new PublishNexus(vol, Protocol.NBD, r),
        NexusDone.class).nexus());
    assertEquals(FailureKind.ALREADY_EXISTS, nodes.expect(node,
        r -> new PublishNexus(vol, Protocol.NVMF, r), Failed.class).kind());
    try (NbdClient c = new NbdClient(pub.deviceUri())) {
      assertEquals(SIZE, c.size);
      Data.write(c, 1, 16, STRIDE);
      Data.verify(c, 1, 16, STRIDE);
    }
    nodes.expect(node, r -> new DestroyNexus(vol, r), Removed.class);
    nodes.expect(node, r -> new DestroyNexus(vol, r), Removed.class);

    // Each child alone holds every block: the nexus mirrored the writes.
    for (String only : List.of(a, b)) {
      nodes.expect(node, r -> new CreateNexus(vol, SIZE, List.of("bdev:///" + only), r),
          NexusDone.class);
      NexusInfo again = nodes.expect(node, r -> new PublishNexus(vol, Protocol.NBD, r),
          NexusDone.class).nexus();
      try (NbdClient c = new NbdClient(again.deviceUri())) {
        Data.verify(c, 1, 16, STRIDE);
      }
      nodes.expect(node, r -> new DestroyNexus(vol, r), Removed.class);
    }
    NodeStateReport s = nodes.subscribe(node).receiveMessage(Nodes.TIMEOUT);
    assertTrue(s.nexuses().isEmpty(), s.nexuses().toString());
    assertEquals(2, s.replicas().size());
  }

  @Test
  void replicaSharedOverNvmfServesANexusOnAnotherNode() throws Exception {
    ActorRef<IoEngineCommand> a = nodes.start(DataNodeSettings.local("ya", dir.resolve("a")));
    ActorRef<IoEngineCommand> b = nodes.start(DataNodeSettings.local("yb", dir.resolve("b")));
    nodes.expect(a, r -> new CreatePool("pa", "", "malloc:///remote-a?size_mb=64", r), PoolDone.class);
    String rep = replica(a, "pa");
    String uri = nodes.expect(a, r -> new ShareReplica(rep, Protocol.NVMF, r), ReplicaDone.class)
        .replica().uri();
    assertTrue(uri.matches("nvmf://127\\.0\\.0\\.1:\\d+/nqn\\.2019-05\\.io\\.caspian:" + rep), uri);

    String vol = UUID.randomUUID().toString();
    NexusInfo n = nodes.expect(b, r -> new CreateNexus(vol, SIZE, List.of(uri), r), NexusDone.class)
        .nexus();
    assertEquals(ChildState.ONLINE, n.children().get(0).state());
    NexusInfo pub = nodes.expect(b, r -> new PublishNexus(vol, Protocol.NVMF, r), NexusDone.class)
        .nexus();
    assertTrue(pub.deviceUri().matches("nvmf://127\\.0\\.0\\.1:\\d+/nqn\\.2019-05\\.io\\.caspian:nexus-"
        + vol), pub.deviceUri());
    NexusInfo unpub = nodes.expect(b, r -> new UnpublishNexus(vol, r), NexusDone.class).nexus();
    assertEquals(Protocol.NONE, unpub.protocol());
    assertEquals("", unpub.deviceUri());
    String nbd = nodes.expect(b, r -> new PublishNexus(vol, Protocol.NBD, r), NexusDone.class)
        .nexus().deviceUri();
    try (NbdClient c = new NbdClient(nbd)) {
      Data.write(c, 2, 16, STRIDE);
      Data.verify(c, 2, 16, STRIDE);
    }
    nodes.expect(b, r -> new DestroyNexus(vol, r), Removed.class);

    // The data is in the replica on node a.
    nodes.expect(a, r -> new CreateNexus(vol, SIZE, List.of("bdev:///" + rep), r), NexusDone.class);
    String local = nodes.expect(a, r -> new PublishNexus(vol, Protocol.NBD, r), NexusDone.class)
        .nexus().deviceUri();
    try (NbdClient c = new NbdClient(local)) {
      Data.verify(c, 2, 16, STRIDE);
    }
    nodes.expect(a, r -> new DestroyNexus(vol, r), Removed.class);
  }

  /**
   * Issue 16: through the command boundary a nexus has replicas for children, never a raw device
   * or file (which the disk allow list guards for pools only), and a child I/O timeout in range.
   */
  @Test
  void childrenThatAreNoReplicaOrHaveAnIoTimeoutOutOfRangeAreRefused() throws Exception {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("x6", dir));
    nodes.expect(node, r -> new CreatePool("p", "", "malloc:///guarded?size_mb=64", r),
        PoolDone.class);
    String a = "bdev:///" + replica(node, "p");
    String vol = UUID.randomUUID().toString();
    String nvmf = "nvmf://127.0.0.1:4420/nqn.2024-01.io.caspian:x";
    Path file = dir.resolve("child.img");
    for (String child : List.of("/dev/sda", "aio:///dev/sda", "file://" + file + "?size_mb=64",
        "uring://" + file, "malloc:///child?size_mb=16", nvmf + "?io_timeout_ms=0",
        nvmf + "?io_timeout_ms=600001", nvmf + "?io_timeout_ms=-5", nvmf + "?io_timeout_ms=x",
        a + "?io_timeout_ms=0")) {
      Failed f = nodes.expect(node, r -> new CreateNexus(vol, SIZE, List.of(a, child), r),
          Failed.class);
      assertEquals(FailureKind.INVALID_ARGUMENT, f.kind(), child + ": " + f.message());
      assertTrue(f.message().contains(child), f.message());
    }
    assertFalse(java.nio.file.Files.exists(file), "a refused child was opened");
    nodes.expect(node, r -> new CreateNexus(vol, SIZE, List.of(a), r), NexusDone.class);
    for (String child : List.of("/dev/sda", "file://" + file + "?size_mb=64",
        nvmf + "?io_timeout_ms=600001")) {
      assertEquals(FailureKind.INVALID_ARGUMENT, nodes.expect(node,
          r -> new AddChild(vol, child, r), Failed.class).kind(), child);
    }
    assertFalse(java.nio.file.Files.exists(file), "a refused child was opened");
    assertEquals(1, nodes.subscribe(node).receiveMessage(Nodes.TIMEOUT).nexuses().get(0)
        .children().size());
    nodes.expect(node, r -> new DestroyNexus(vol, r), Removed.class);
  }

  @Test
  void childCommandsAndErrorPolicy() {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("x3", dir));
    nodes.expect(node, r -> new CreatePool("p", "", "malloc:///children?size_mb=64", r),
        PoolDone.class);
    String a = replica(node, "p");
    String b = replica(node, "p");
    String vol = UUID.randomUUID().toString();
    TestProbe<NodeStateReport> sub = nodes.subscribe(node);
    nodes.expect(node, r -> new CreateNexus(vol, SIZE, List.of("bdev:///" + a), r), NexusDone.class);
    NexusInfo added = nodes.expect(node, r -> new AddChild(vol, "bdev:///" + b, r), NexusDone.class)
        .nexus();
    assertEquals(2, added.children().size());
    // The new child is rebuilt (thin and empty here, so at once) and reported Online.
    Nodes.await(sub, s -> s.nexuses().size() == 1 && s.nexuses().get(0).children().stream()
        .allMatch(c -> c.state() == ChildState.ONLINE) && s.nexuses().get(0).children().size() == 2);
    assertEquals(2, nodes.expect(node, r -> new AddChild(vol, "bdev:///" + b, r), NexusDone.class)
        .nexus().children().size());
    assertEquals(FailureKind.UNAVAILABLE, nodes.expect(node,
        r -> new AddChild(vol, "bdev:///" + UUID.randomUUID(), r), Failed.class).kind());

    NexusInfo removed = nodes.expect(node, r -> new RemoveChild(vol, "bdev:///" + a, r),
        NexusDone.class).nexus();
    assertEquals(List.of("bdev:///" + b), removed.children().stream().map(ChildInfo::uri).toList());
    assertEquals(removed, nodes.expect(node, r -> new RemoveChild(vol, "bdev:///" + a, r),
        NexusDone.class).nexus());
    // The last in-sync child cannot go.
    assertEquals(FailureKind.INVALID_ARGUMENT, nodes.expect(node,
        r -> new RemoveChild(vol, "bdev:///" + b, r), Failed.class).kind());

    assertEquals(5, nodes.expect(node, r -> new SetErrorPolicy(vol, 5, r), NexusDone.class).nexus()
        .errorThreshold());
    assertEquals(FailureKind.INVALID_ARGUMENT, nodes.expect(node,
        r -> new SetErrorPolicy(vol, 0, r), Failed.class).kind());
    assertEquals(FailureKind.NOT_FOUND, nodes.expect(node,
        r -> new SetErrorPolicy(UUID.randomUUID().toString(), 5, r), Failed.class).kind());
    assertEquals(0, removed.rebuildBytesPerSecond(), "no cap unless configured");
    assertEquals(8L << 20, nodes.expect(node, r -> new IoEngineCommand.SetRebuildRate(vol, 8L << 20, r),
        NexusDone.class).nexus().rebuildBytesPerSecond());
    assertEquals(FailureKind.INVALID_ARGUMENT, nodes.expect(node,
        r -> new IoEngineCommand.SetRebuildRate(vol, -1, r), Failed.class).kind());
    assertEquals(FailureKind.NOT_FOUND, nodes.expect(node,
        r -> new IoEngineCommand.SetRebuildRate(UUID.randomUUID().toString(), 0, r), Failed.class).kind());
    assertEquals(FailureKind.NOT_FOUND, nodes.expect(node,
        r -> new PublishNexus(UUID.randomUUID().toString(), Protocol.NBD, r), Failed.class).kind());
    NodeStateReport last = Nodes.await(sub, s -> !s.nexuses().isEmpty()
        && s.nexuses().get(0).errorThreshold() == 5);
    assertEquals(1, last.nexuses().get(0).children().size());
    nodes.expect(node, r -> new DestroyNexus(vol, r), Removed.class);
  }

  @Test
  void aChildThatFailsWritesIsReportedFaulted() throws Exception {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("x5", dir));
    nodes.expect(node, r -> new CreatePool("p", "", "malloc:///faulty?size_mb=64", r),
        PoolDone.class);
    String a = replica(node, "p");
    String b = replica(node, "p");
    String vol = UUID.randomUUID().toString();
    nodes.expect(node, r -> new CreateNexus(vol, SIZE, List.of("bdev:///" + a, "bdev:///" + b), r),
        NexusDone.class);
    String nbd = nodes.expect(node, r -> new PublishNexus(vol, Protocol.NBD, r), NexusDone.class)
        .nexus().deviceUri();
    TestProbe<NodeStateReport> sub = nodes.subscribe(node);
    // The replica goes away under the nexus: its next write fails and faults it.
    nodes.expect(node, r -> new io.caspian.events.ioengine.IoEngineCommand.DestroyReplica(b, "p", r),
        Removed.class);
    try (NbdClient c = new NbdClient(nbd)) {
      Data.write(c, 6, 4, STRIDE);
      Data.verify(c, 6, 4, STRIDE);
    }
    NodeStateReport s = Nodes.await(sub, x -> !x.nexuses().isEmpty()
        && x.nexuses().get(0).status() == Health.DEGRADED);
    ChildInfo faulted = s.nexuses().get(0).children().stream()
        .filter(c -> c.uri().equals("bdev:///" + b)).findFirst().orElseThrow();
    assertEquals(ChildState.FAULTED, faulted.state());
    assertEquals("io error", faulted.reason());
    nodes.expect(node, r -> new DestroyNexus(vol, r), Removed.class);
  }

  @Test
  void aNexusOnMissingChildrenIsRefused() {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("x4", dir));
    String vol = UUID.randomUUID().toString();
    Failed f = nodes.expect(node, r -> new CreateNexus(vol, SIZE, List.of("bdev:///"
        + UUID.randomUUID()), r), Failed.class);
    assertEquals(FailureKind.UNAVAILABLE, f.kind(), f.message());
    // Nothing is left behind: the next create starts afresh.
    assertEquals(FailureKind.INVALID_ARGUMENT, nodes.expect(node,
        r -> new CreateNexus(vol, SIZE, List.of(), r), Failed.class).kind());
  }
}
