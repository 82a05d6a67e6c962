package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.datanode.bus.BusReader;
import io.caspian.datanode.bus.BusReader.Read;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.ChildInfo;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineCommand.AddChild;
import io.caspian.events.ioengine.IoEngineCommand.ClearFaults;
import io.caspian.events.ioengine.IoEngineCommand.CreateNexus;
import io.caspian.events.ioengine.IoEngineCommand.CreatePool;
import io.caspian.events.ioengine.IoEngineCommand.CreateReplica;
import io.caspian.events.ioengine.IoEngineCommand.FaultOp;
import io.caspian.events.ioengine.IoEngineCommand.InjectFault;
import io.caspian.events.ioengine.IoEngineCommand.PublishNexus;
import io.caspian.events.ioengine.IoEngineCommand.SetErrorPolicy;
import io.caspian.events.ioengine.IoEngineReply.Failed;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.IoEngineReply.NexusDone;
import io.caspian.events.ioengine.IoEngineReply.PoolDone;
import io.caspian.events.ioengine.IoEngineReply.ReplicaDone;
import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.NodeStateReport;
import io.caspian.events.proto.bus.RebuildOutcome;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import io.caspian.kafka.TopicAdmin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A DataNode with Kafka configured publishes its nexuses' events; faults injected on demand reach the bus. */
class DataNodeBusTest {
  private static final long SIZE = 16L << 20;
  private static final long STRIDE = 1L << 20;
  private static final Duration T = Duration.ofSeconds(30);

  @TempDir
  static Path shared;
  static KafkaBroker broker;
  static Nodes nodes;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    broker = KafkaBroker.start(shared.resolve("kafka"));
    try (TopicAdmin admin = new TopicAdmin(broker.bootstrapServers())) {
      admin.ensure(BusTopics.all((short) 1), T);
    }
    nodes = new Nodes();
  }

  @AfterAll
  static void stop() {
    if (nodes != null) {
      nodes.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  private String replica(ActorRef<IoEngineCommand> node, String pool) {
    String id = UUID.randomUUID().toString();
    nodes.expect(node, r -> new CreateReplica(id, pool, SIZE, true, r), ReplicaDone.class);
    return id;
  }

  @Test
  void injectedWriteFaultsFaultTheChildAndTheBusCarriesCountsFaultAndRebuild() throws Exception {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("bus1", dir)
        .withKafka(broker.bootstrapServers(), Duration.ofMillis(200)));
    nodes.expect(node, r -> new CreatePool("p", "", "malloc:///bus1?size_mb=96", r), PoolDone.class);
    String a = "bdev:///" + replica(node, "p");
    String b = "bdev:///" + replica(node, "p");
    String vol = UUID.randomUUID().toString();
    nodes.expect(node, r -> new CreateNexus(vol, SIZE, List.of(a, b), r), NexusDone.class);
    nodes.expect(node, r -> new SetErrorPolicy(vol, 2, r), NexusDone.class);
    NexusInfo pub = nodes.expect(node, r -> new PublishNexus(vol, Protocol.NBD, r), NexusDone.class).nexus();

    // Bad requests are refused with the thing named.
    assertEquals(FailureKind.INVALID_ARGUMENT, nodes.expect(node,
        r -> new InjectFault(vol, b, FaultOp.WRITE, 0, 0, 1, r), Failed.class).kind());
    assertEquals(FailureKind.INVALID_ARGUMENT, nodes.expect(node,
        r -> new InjectFault(vol, b, FaultOp.WRITE, 0, 4096, 0, r), Failed.class).kind());
    Failed unknown = nodes.expect(node, r -> new InjectFault(vol, "bdev:///nope", FaultOp.WRITE, 0, 4096, 1, r),
        Failed.class);
    assertEquals(FailureKind.NOT_FOUND, unknown.kind());
    assertTrue(unknown.message().contains("bdev:///nope"), unknown.message());
    assertEquals(FailureKind.NOT_FOUND, nodes.expect(node,
        r -> new ClearFaults(UUID.randomUUID().toString(), b, r), Failed.class).kind());

    // A cleared rule does nothing.
    nodes.expect(node, r -> new InjectFault(vol, b, FaultOp.READ, 0, SIZE, -1, r), NexusDone.class);
    nodes.expect(node, r -> new ClearFaults(vol, b, r), NexusDone.class);

    nodes.expect(node, r -> new InjectFault(vol, b, FaultOp.WRITE, 0, SIZE, -1, r), NexusDone.class);
    try (NbdClient c = new NbdClient(pub.deviceUri())) {
      Data.write(c, 7, 16, STRIDE);
      Data.verify(c, 7, 16, STRIDE);
    }
    var probe = nodes.subscribe(node);
    Nodes.await(probe, s -> s.nexuses().stream().anyMatch(n -> n.uuid().equals(vol) && n.children().stream()
        .anyMatch(ch -> ch.uri().equals(b) && ch.state() == ChildState.FAULTED)));

    String c3 = "bdev:///" + replica(node, "p");
    nodes.expect(node, r -> new AddChild(vol, c3, r), NexusDone.class);
    Nodes.await(probe, s -> s.nexuses().stream().anyMatch(n -> n.uuid().equals(vol) && n.children().stream()
        .anyMatch(ch -> ch.uri().equals(c3) && ch.state() == ChildState.ONLINE)));

    try (BusReader reader = new BusReader(broker.bootstrapServers())) {
      List<Read> read = reader.until(rs -> finished(rs, vol, c3) && faulted(rs, vol, b) && counted(rs, vol, b), T);
      assertTrue(faulted(read, vol, b), "no ChildStateChanged to FAULTED for " + b + " in " + read);
      assertTrue(counted(read, vol, b), "no error counts for " + b);
      assertTrue(finished(read, vol, c3), "no completed rebuild of " + c3);
      for (Read r : read) {
        assertEquals(r.event().getNexus(), r.key());
        assertEquals("bus1", r.event().getNode());
      }
      assertTrue(read.stream().anyMatch(r -> r.topic().equals(BusTopics.IO_REBUILD)
          && r.event().hasRebuildStarted() && r.event().getRebuildStarted().getChild().equals(c3)));
    }
  }

  /**
   * A pool whose disk is a remote NVMe/TCP namespace (here another DataNode's shared replica, so
   * the test needs no VM): when that node stops, the pool is Degraded at once, Faulted once the
   * disk has been away for its {@code fault_after_ms}, its replicas Faulted with it, and takes no
   * new replicas; when the node is back on the same port the pool verifies its disk and is Online
   * by itself. Each change is in the state report with its reason and on caspian.io.faults.
   */
  @Test
  void aPoolWhoseRemoteDiskGoesAwayIsFaultedAndComesBack() throws Exception {
    int port = io.caspian.nvmf.PeerScript.freePort();
    DataNodeSettings far = DataNodeSettings.local("far", dir.resolve("far")).withNvmf("127.0.0.1", port)
        .withDiskAllow(DiskAllowList.defaults(dir));
    ActorRef<IoEngineCommand> source = nodes.start(far);
    nodes.expect(source, r -> new CreatePool("src", "", "file://" + dir.resolve("src.img") + "?size_mb=96", r),
        PoolDone.class);
    String rep = replica(source, "src", 64L << 20);
    String disk = nodes.expect(source, r -> new IoEngineCommand.ShareReplica(rep, Protocol.NVMF, r),
        ReplicaDone.class).replica().uri() + "?fault_after_ms=1500";

    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("bus3", dir.resolve("near"))
        .withKafka(broker.bootstrapServers(), Duration.ofMillis(200)));
    nodes.expect(node, r -> new CreatePool("remote", "", disk, r), PoolDone.class);
    String onRemote = replica(node, "remote");
    var probe = nodes.subscribe(node);
    Nodes.await(probe, s -> poolIs(s, Health.ONLINE));

    long stopped = System.nanoTime();
    nodes.kit.stop(source, T);
    NodeStateReport degraded = Nodes.await(probe, s -> poolIs(s, Health.DEGRADED));
    long toDegraded = System.nanoTime() - stopped;
    assertTrue(pool(degraded).reason().contains("unreachable"), pool(degraded).reason());
    NodeStateReport faulted = Nodes.await(probe, s -> poolIs(s, Health.FAULTED));
    long toFaulted = System.nanoTime() - stopped;
    System.out.printf("remote pool disk stopped: Degraded after %d ms, Faulted after %d ms (fault_after_ms=1500)%n",
        toDegraded / 1_000_000, toFaulted / 1_000_000);
    assertTrue(toFaulted < Duration.ofMillis(1500 + 3000).toNanos(), "Faulted after " + toFaulted / 1_000_000 + " ms");
    assertTrue(pool(faulted).reason().contains("fault_after_ms=1500"), pool(faulted).reason());
    assertEquals(Health.FAULTED, faulted.replicas().stream().filter(r -> r.uuid().equals(onRemote)).findFirst()
        .orElseThrow().status(), "a replica of a Faulted pool is Faulted too");
    Failed refused = nodes.expect(node, r -> new CreateReplica(UUID.randomUUID().toString(), "remote", SIZE, true, r),
        Failed.class);
    assertEquals(FailureKind.UNAVAILABLE, refused.kind());

    ActorRef<IoEngineCommand> back = nodes.start(far);
    long restarted = System.nanoTime();
    NodeStateReport online = Nodes.await(probe, s -> poolIs(s, Health.ONLINE));
    System.out.printf("remote pool disk back: Online after %d ms%n", (System.nanoTime() - restarted) / 1_000_000);
    assertEquals("", pool(online).reason());
    replica(node, "remote");

    String key = io.caspian.datanode.bus.BusPublisher.poolKey("bus3", "remote");
    try (BusReader reader = new BusReader(broker.bootstrapServers())) {
      List<Read> read = reader.until(rs -> poolStates(rs, key).size() >= 3, T);
      assertEquals(List.of(io.caspian.events.proto.Health.HEALTH_DEGRADED, io.caspian.events.proto.Health.HEALTH_FAULTED,
          io.caspian.events.proto.Health.HEALTH_ONLINE), poolStates(read, key));
      Read f = read.stream().filter(r -> r.key().equals(key) && r.event().getPoolStateChanged().getTo()
          == io.caspian.events.proto.Health.HEALTH_FAULTED).findFirst().orElseThrow();
      assertEquals(BusTopics.IO_FAULTS, f.topic());
      assertEquals("remote", f.event().getPoolStateChanged().getPool());
      assertTrue(f.event().getPoolStateChanged().getReason().contains("unreachable"), f.toString());
    }
    nodes.kit.stop(node, T);
    nodes.kit.stop(back, T);
  }

  /**
   * A metadata write that fails (its remote disk away past the I/O timeout) faults the pool, and a
   * disk that comes back does not undo that: memory is ahead of the disk. An explicit ImportPool
   * reads the truth back from the disk and the pool is Online again.
   */
  @Test
  void aPoolWhoseMetadataWriteFailedComesBackByImport() throws Exception {
    int port = io.caspian.nvmf.PeerScript.freePort();
    DataNodeSettings far = DataNodeSettings.local("far2", dir.resolve("far")).withNvmf("127.0.0.1", port)
        .withDiskAllow(DiskAllowList.defaults(dir));
    ActorRef<IoEngineCommand> source = nodes.start(far);
    nodes.expect(source, r -> new CreatePool("src", "", "file://" + dir.resolve("src.img") + "?size_mb=96", r),
        PoolDone.class);
    String rep = replica(source, "src", 64L << 20);
    String disk = nodes.expect(source, r -> new IoEngineCommand.ShareReplica(rep, Protocol.NVMF, r),
        ReplicaDone.class).replica().uri() + "?fault_after_ms=60000&io_timeout_ms=1000";
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("meta", dir.resolve("near")));
    nodes.expect(node, r -> new CreatePool("remote", "", disk, r), PoolDone.class);
    String doomed = replica(node, "remote");
    var probe = nodes.subscribe(node);

    nodes.kit.stop(source, T);
    Nodes.await(probe, s -> poolIs(s, Health.DEGRADED));
    // Destroying a replica is allowed on a Degraded pool; its metadata write times out.
    nodes.expect(node, r -> new io.caspian.events.ioengine.IoEngineCommand.DestroyReplica(doomed, "remote", r),
        Failed.class);
    NodeStateReport faulted = Nodes.await(probe, s -> poolIs(s, Health.FAULTED));
    assertTrue(pool(faulted).reason().contains("metadata write failed"), pool(faulted).reason());

    ActorRef<IoEngineCommand> back = nodes.start(far);
    // The disk is back and verifies, but the pool stays Faulted for its failed metadata write.
    NodeStateReport stillFaulted = Nodes.await(probe, s -> poolIs(s, Health.FAULTED)
        && !pool(s).reason().contains("unreachable"));
    assertTrue(pool(stillFaulted).reason().contains("imported again"), pool(stillFaulted).reason());
    io.caspian.events.ioengine.PoolInfo imported = nodes.expect(node,
        r -> new io.caspian.events.ioengine.IoEngineCommand.ImportPool("remote", "", disk, r), PoolDone.class).pool();
    assertEquals(Health.ONLINE, imported.status(), imported.reason());
    replica(node, "remote");
    nodes.kit.stop(node, T);
    nodes.kit.stop(back, T);
  }

  private String replica(ActorRef<IoEngineCommand> node, String pool, long size) {
    String id = UUID.randomUUID().toString();
    nodes.expect(node, r -> new CreateReplica(id, pool, size, true, r), ReplicaDone.class);
    return id;
  }

  private static io.caspian.events.ioengine.PoolInfo pool(NodeStateReport s) {
    return s.pools().stream().filter(p -> p.name().equals("remote")).findFirst().orElseThrow();
  }

  private static boolean poolIs(NodeStateReport s, Health h) {
    return s.pools().stream().anyMatch(p -> p.name().equals("remote") && p.status() == h);
  }

  private static List<io.caspian.events.proto.Health> poolStates(List<Read> rs, String key) {
    return rs.stream().filter(r -> r.key().equals(key) && r.event().hasPoolStateChanged())
        .map(r -> r.event().getPoolStateChanged().getTo()).toList();
  }

  @Test
  void withKafkaAwayTheNodeServesIo() throws Exception {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("bus2", dir)
        .withKafka("127.0.0.1:1", Duration.ofMillis(100)));
    nodes.expect(node, r -> new CreatePool("p", "", "malloc:///bus2?size_mb=64", r), PoolDone.class);
    String a = "bdev:///" + replica(node, "p");
    String b = "bdev:///" + replica(node, "p");
    String vol = UUID.randomUUID().toString();
    nodes.expect(node, r -> new CreateNexus(vol, SIZE, List.of(a, b), r), NexusDone.class);
    NexusInfo pub = nodes.expect(node, r -> new PublishNexus(vol, Protocol.NBD, r), NexusDone.class).nexus();
    nodes.expect(node, r -> new SetErrorPolicy(vol, 1, r), NexusDone.class);
    nodes.expect(node, r -> new InjectFault(vol, b, FaultOp.WRITE, 0, SIZE, 1, r), NexusDone.class);
    try (NbdClient c = new NbdClient(pub.deviceUri())) {
      Data.write(c, 3, 16, STRIDE);
      Data.verify(c, 3, 16, STRIDE);
    }
    NexusInfo now = nodes.expect(node, r -> new SetErrorPolicy(vol, 1, r), NexusDone.class).nexus();
    assertEquals(List.of(new ChildInfo(a, ChildState.ONLINE, "", -1)), now.children().stream()
        .filter(ch -> ch.uri().equals(a)).toList());
  }

  @Test
  void aMalformedBootstrapListStopsTheNodeAtStart() {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("bus3", dir)
        .withKafka("nonsense", Duration.ofSeconds(1)));
    nodes.kit.createTestProbe().expectTerminated(node, Nodes.TIMEOUT);
  }

  private static boolean faulted(List<Read> rs, String vol, String child) {
    return rs.stream().map(Read::event).anyMatch(e -> e.getNexus().equals(vol) && e.hasChildStateChanged()
        && e.getChildStateChanged().getChild().equals(child)
        && e.getChildStateChanged().getTo().getState() == io.caspian.events.proto.ChildState.CHILD_FAULTED);
  }

  private static boolean counted(List<Read> rs, String vol, String child) {
    return rs.stream().map(Read::event).anyMatch(e -> e.getNexus().equals(vol) && e.hasErrorCounts()
        && e.getErrorCounts().getChild().equals(child) && e.getErrorCounts().getTotal() > 0);
  }

  private static boolean finished(List<Read> rs, String vol, String child) {
    return rs.stream().map(Read::event).anyMatch(e -> e.getNexus().equals(vol) && e.hasRebuildFinished()
        && e.getRebuildFinished().getChild().equals(child)
        && e.getRebuildFinished().getOutcome() == RebuildOutcome.REBUILD_COMPLETED);
  }
}
