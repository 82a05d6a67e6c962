package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.IoEngineCommand.CreatePool;
import io.caspian.events.ioengine.IoEngineCommand.CreateReplica;
import io.caspian.events.ioengine.IoEngineCommand.DestroyPool;
import io.caspian.events.ioengine.IoEngineCommand.DestroyReplica;
import io.caspian.events.ioengine.IoEngineCommand.ImportPool;
import io.caspian.events.ioengine.IoEngineCommand.ShareReplica;
import io.caspian.events.ioengine.IoEngineCommand.SubscribeState;
import io.caspian.events.ioengine.IoEngineReply;
import io.caspian.events.ioengine.IoEngineReply.Failed;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.IoEngineReply.PoolDone;
import io.caspian.events.ioengine.IoEngineReply.Removed;
import io.caspian.events.ioengine.IoEngineReply.ReplicaDone;
import io.caspian.events.ioengine.NodeStateReport;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import io.caspian.events.ioengine.IoEngineCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pool and replica commands and their idempotency, on malloc and file disks. */
class DataNodeCommandsTest {
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

  @Test
  void poolCommandsAreIdempotent() {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("n1", dir));
    String disk = "malloc:///idem?size_mb=64";
    String uuid = UUID.randomUUID().toString();
    PoolInfo p = nodes.expect(node, r -> new CreatePool("p1", uuid, disk, r), PoolDone.class).pool();
    assertEquals(new PoolInfo("p1", uuid, disk, Health.ONLINE, p.capacity(), 0, 0), p);
    assertTrue(p.capacity() > 32L << 20 && p.capacity() <= 64L << 20, "capacity " + p.capacity());

    assertEquals(p, nodes.expect(node, r -> new CreatePool("p1", uuid, disk, r), PoolDone.class).pool());
    assertEquals(p, nodes.expect(node, r -> new ImportPool("p1", uuid, disk, r), PoolDone.class).pool());
    assertEquals(p, nodes.expect(node, r -> new CreatePool("p1", "", disk, r), PoolDone.class).pool());
    assertEquals(FailureKind.ALREADY_EXISTS, nodes.expect(node,
        r -> new CreatePool("p1", uuid, "malloc:///other?size_mb=64", r), Failed.class).kind());
    assertEquals(FailureKind.ALREADY_EXISTS, nodes.expect(node,
        r -> new CreatePool("p2", UUID.randomUUID().toString(), disk, r), Failed.class).kind());

    assertEquals(new Removed("p1"), nodes.expect(node, r -> new DestroyPool("p1", r), Removed.class));
    assertEquals(new Removed("p1"), nodes.expect(node, r -> new DestroyPool("p1", r), Removed.class));
    assertEquals(new Removed("never"), nodes.expect(node, r -> new DestroyPool("never", r),
        Removed.class));
  }

  @Test
  void badDisksAreRefusedWithTheirUri() {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("n2", dir));
    // A scheme the allow list does not name is refused before any opener is asked.
    Failed f = nodes.expect(node, r -> new CreatePool("bad", "", "nosuch:///x", r), Failed.class);
    assertEquals(FailureKind.PERMISSION_DENIED, f.kind());
    assertTrue(f.message().contains("nosuch:///x"), f.message());
    Failed i = nodes.expect(node, r -> new ImportPool("blank", "", "malloc:///blank?size_mb=16", r),
        Failed.class);
    assertEquals(FailureKind.NOT_FOUND, i.kind(), i.message());
    // A failed create leaves no pool behind.
    NodeStateReport s = nodes.subscribe(node).receiveMessage(Nodes.TIMEOUT);
    assertEquals(0, s.pools().size());
  }

  @Test
  void replicaCommandsAreIdempotentOnAFileDisk() {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("n3", dir));
    String disk = "file://" + dir.resolve("disk1") + "?size_mb=64";
    nodes.expect(node, r -> new CreatePool("fp", "", disk, r), PoolDone.class);
    String id = UUID.randomUUID().toString();
    ReplicaInfo thin = nodes.expect(node, r -> new CreateReplica(id, "fp", 8L << 20, true, r),
        ReplicaDone.class).replica();
    assertEquals(new ReplicaInfo(id, "fp", 8L << 20, true, Protocol.NONE, "bdev:///" + id,
        Health.ONLINE), thin);
    assertEquals(thin, nodes.expect(node, r -> new CreateReplica(id, "fp", 8L << 20, true, r),
        ReplicaDone.class).replica());
    assertEquals(FailureKind.ALREADY_EXISTS, nodes.expect(node,
        r -> new CreateReplica(id, "fp", 16L << 20, true, r), Failed.class).kind());
    assertEquals(FailureKind.NOT_FOUND, nodes.expect(node,
        r -> new CreateReplica(UUID.randomUUID().toString(), "nopool", 1 << 20, true, r),
        Failed.class).kind());
    assertEquals(FailureKind.RESOURCE_EXHAUSTED, nodes.expect(node,
        r -> new CreateReplica(UUID.randomUUID().toString(), "fp", 1L << 30, false, r),
        Failed.class).kind());
    assertEquals(FailureKind.INVALID_ARGUMENT, nodes.expect(node,
        r -> new CreateReplica("not-a-uuid", "fp", 1 << 20, true, r), Failed.class).kind());

    String thick = UUID.randomUUID().toString();
    nodes.expect(node, r -> new CreateReplica(thick, "fp", 4L << 20, false, r), ReplicaDone.class);
    NodeStateReport s = nodes.subscribe(node).receiveMessage(Nodes.TIMEOUT);
    PoolInfo p = s.pools().get(0);
    assertEquals(12L << 20, p.committed());
    assertEquals(4L << 20, p.used());
    assertEquals(2, s.replicas().size());

    // Sharing is idempotent too, and the share survives in the report.
    ReplicaInfo shared = nodes.expect(node, r -> new ShareReplica(id, Protocol.NVMF, r),
        ReplicaDone.class).replica();
    assertEquals("nvmf://" + s.endpoint() + "/nqn.2019-05.io.caspian:" + id, shared.uri());
    assertEquals(Protocol.NVMF, shared.share());
    assertEquals(shared, nodes.expect(node, r -> new ShareReplica(id, Protocol.NVMF, r),
        ReplicaDone.class).replica());
    assertEquals(FailureKind.INVALID_ARGUMENT, nodes.expect(node,
        r -> new ShareReplica(id, Protocol.NBD, r), Failed.class).kind());
    assertEquals(FailureKind.NOT_FOUND, nodes.expect(node,
        r -> new ShareReplica(UUID.randomUUID().toString(), Protocol.NVMF, r), Failed.class).kind());
    ReplicaInfo unshared = nodes.expect(node, r -> new ShareReplica(id, Protocol.NONE, r),
        ReplicaDone.class).replica();
    assertEquals("bdev:///" + id, unshared.uri());

    // A pool that holds replicas is never destroyed with them: refused as a precondition (409).
    Failed holding = nodes.expect(node, r -> new DestroyPool("fp", r), Failed.class);
    assertEquals(FailureKind.FAILED_PRECONDITION, holding.kind(), holding.message());
    assertTrue(Files.exists(dir.resolve("disk1")));
    assertEquals(FailureKind.ALREADY_EXISTS, nodes.expect(node,
        r -> new CreateReplica(id, "other", 8L << 20, true, r), Failed.class).kind());
    for (int i = 0; i < 2; i++) {
      nodes.expect(node, r -> new DestroyReplica(id, "fp", r), Removed.class);
      nodes.expect(node, r -> new DestroyReplica(thick, "fp", r), Removed.class);
    }
    nodes.expect(node, r -> new DestroyPool("fp", r), Removed.class);
  }

  @Test
  void commandsSentTogetherAreAnsweredInOrder() {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("n5", dir));
    TestProbe<IoEngineReply> probe = nodes.kit.createTestProbe();
    ActorRef<IoEngineReply> r = probe.getRef();
    String disk = "malloc:///burst?size_mb=64";
    List<String> ids = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString());
    node.tell(new CreatePool("bp", "", disk, r));
    node.tell(new CreatePool("bp", "", disk, r));
    ids.forEach(id -> node.tell(new CreateReplica(id, "bp", 4L << 20, false, r)));
    node.tell(new DestroyPool("bp", r));
    ids.forEach(id -> node.tell(new DestroyReplica(id, "bp", r)));
    node.tell(new DestroyPool("bp", r));
    node.tell(new CreateReplica(ids.get(0), "bp", 4L << 20, false, r));
    PoolInfo p = assertInstanceOf(PoolDone.class, probe.receiveMessage(Nodes.TIMEOUT)).pool();
    assertEquals(p, assertInstanceOf(PoolDone.class, probe.receiveMessage(Nodes.TIMEOUT)).pool());
    for (String id : ids) {
      assertEquals(id, assertInstanceOf(ReplicaDone.class, probe.receiveMessage(Nodes.TIMEOUT))
          .replica().uuid());
    }
    assertEquals(FailureKind.FAILED_PRECONDITION,
        assertInstanceOf(Failed.class, probe.receiveMessage(Nodes.TIMEOUT)).kind());
    for (String id : ids) {
      assertEquals(new Removed(id), probe.receiveMessage(Nodes.TIMEOUT));
    }
    assertEquals(new Removed("bp"), probe.receiveMessage(Nodes.TIMEOUT));
    // Queued behind the destroy, it finds the pool gone.
    assertEquals(FailureKind.NOT_FOUND,
        assertInstanceOf(Failed.class, probe.receiveMessage(Nodes.TIMEOUT)).kind());
  }

  @Test
  void subscribersGetAReportAtOnceAndAfterEveryChange() {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("n4", dir)
        .withLabels(Map.of("zone", "a")));
    TestProbe<NodeStateReport> sub = nodes.subscribe(node);
    NodeStateReport first = sub.receiveMessage(Nodes.TIMEOUT);
    assertEquals("n4", first.node());
    assertEquals(Map.of("zone", "a"), first.labels());
    assertTrue(first.pools().isEmpty());
    assertTrue(first.endpoint().startsWith("127.0.0.1:"), first.endpoint());

    nodes.expect(node, r -> new CreatePool("sp", "", "malloc:///sub?size_mb=32", r), PoolDone.class);
    NodeStateReport withPool = Nodes.await(sub, s -> s.pools().size() == 1);
    assertTrue(withPool.generation() > first.generation());
    assertEquals(first.instance(), withPool.instance());

    String id = UUID.randomUUID().toString();
    nodes.expect(node, r -> new CreateReplica(id, "sp", 4L << 20, true, r), ReplicaDone.class);
    NodeStateReport withReplica = Nodes.await(sub, s -> s.replicas().size() == 1);
    assertTrue(withReplica.generation() > withPool.generation());
    assertEquals(4L << 20, withReplica.pools().get(0).committed());

    // A repeated subscribe (after a network blip) answers a fresh full report.
    node.tell(new SubscribeState(sub.getRef()));
    NodeStateReport again = Nodes.await(sub, s -> s.generation() >= withReplica.generation());
    assertEquals(withReplica.replicas(), again.replicas());
  }
}
