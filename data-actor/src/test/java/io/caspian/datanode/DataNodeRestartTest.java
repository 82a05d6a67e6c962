package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineCommand.CreateNexus;
import io.caspian.events.ioengine.IoEngineCommand.CreatePool;
import io.caspian.events.ioengine.IoEngineCommand.CreateReplica;
import io.caspian.events.ioengine.IoEngineCommand.DestroyNexus;
import io.caspian.events.ioengine.IoEngineCommand.DestroyPool;
import io.caspian.events.ioengine.IoEngineCommand.ImportPool;
import io.caspian.events.ioengine.IoEngineCommand.PublishNexus;
import io.caspian.events.ioengine.IoEngineCommand.ShareReplica;
import io.caspian.events.ioengine.IoEngineReply.Failed;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.IoEngineReply.NexusDone;
import io.caspian.events.ioengine.IoEngineReply.PoolDone;
import io.caspian.events.ioengine.IoEngineReply.Removed;
import io.caspian.events.ioengine.IoEngineReply.ReplicaDone;
import io.caspian.events.ioengine.NodeStateReport;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An io-engine restart: the actor system stops, a new DataNode starts on the same data
 * directory and brings back its pools and replicas with their data; a pool whose disk was damaged
 * meanwhile is reported Faulted and left exactly as it was.
 */
class DataNodeRestartTest {
  private static final long SIZE = 16L << 20;
  private static final long STRIDE = 1L << 20;

  @TempDir
  Path dir;

  /** A node whose disks live beside its data directory, in the test's directory. */
  private DataNodeSettings settings(String nodeId, Path data) {
    return DataNodeSettings.local(nodeId, data).withDiskAllow(DiskAllowList.defaults(dir));
  }

  private String fileDisk(String name) {
    return "file://" + dir.resolve(name) + "?size_mb=64";
  }

  private static byte[] sha(Path file) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
  }

  @Test
  void poolsReplicasAndDataComeBackAndADamagedPoolIsLeftAlone() throws Exception {
    Path data = dir.resolve("node");
    String good = fileDisk("good");
    String damaged = fileDisk("damaged");
    String rep = UUID.randomUUID().toString();
    String poolUuid = UUID.randomUUID().toString();
    NodeStateReport before;
    try (Nodes nodes = new Nodes()) {
      ActorRef<IoEngineCommand> node = nodes.start(settings("z1", data));
      nodes.expect(node, r -> new CreatePool("good", poolUuid, good, r), PoolDone.class);
      nodes.expect(node, r -> new CreatePool("damaged", "", damaged, r), PoolDone.class);
      nodes.expect(node, r -> new CreateReplica(rep, "good", SIZE, true, r), ReplicaDone.class);
      nodes.expect(node, r -> new ShareReplica(rep, Protocol.NVMF, r), ReplicaDone.class);
      String vol = UUID.randomUUID().toString();
      nodes.expect(node, r -> new CreateNexus(vol, SIZE, List.of("bdev:///" + rep), r),
          NexusDone.class);
      String nbd = nodes.expect(node, r -> new PublishNexus(vol, Protocol.NBD, r), NexusDone.class)
          .nexus().deviceUri();
      try (NbdClient c = new NbdClient(nbd)) {
        Data.write(c, 4, 16, STRIDE);
      }
      // Thin allocations made by the writes show in the pool's used space.
      before = Nodes.await(nodes.subscribe(node), s -> s.pools().stream()
          .anyMatch(p -> p.name().equals("good") && p.used() == SIZE));
    }

    // Damage the superblock of one pool while the io-engine is down.
    Path damagedFile = dir.resolve("damaged");
    flip(damagedFile, 0x5a);
    byte[] damagedSha = sha(damagedFile);

    try (Nodes nodes = new Nodes()) {
      ActorRef<IoEngineCommand> node = nodes.start(settings("z1", data));
      NodeStateReport after = nodes.subscribe(node).receiveMessage(Nodes.TIMEOUT);
      assertNotEquals(before.instance(), after.instance());
      assertTrue(after.nexuses().isEmpty(), "a nexus is re-created by the control plane only");
      PoolInfo g = after.pools().stream().filter(p -> p.name().equals("good")).findFirst()
          .orElseThrow();
      assertEquals(Health.ONLINE, g.status());
      assertEquals(poolUuid, g.uuid());
      assertEquals(before.pools().stream().filter(p -> p.name().equals("good")).findFirst()
          .orElseThrow(), g);
      PoolInfo d = after.pools().stream().filter(p -> p.name().equals("damaged")).findFirst()
          .orElseThrow();
      assertEquals(Health.FAULTED, d.status());
      assertEquals(damaged, d.disk());
      ReplicaInfo r = after.replicas().get(0);
      assertEquals(rep, r.uuid());
      assertEquals(Protocol.NVMF, r.share());
      assertEquals("nvmf://" + after.endpoint() + "/nqn.2019-05.io.caspian:" + rep, r.uri());

      Failed f = nodes.expect(node, x -> new CreatePool("damaged", "", damaged, x), Failed.class);
      assertEquals(FailureKind.UNAVAILABLE, f.kind());
      assertTrue(f.message().contains(damaged), f.message());
      assertEquals(FailureKind.UNAVAILABLE, nodes.expect(node, x -> new CreateReplica(
          UUID.randomUUID().toString(), "damaged", SIZE, true, x), Failed.class).kind());

      String vol = UUID.randomUUID().toString();
      nodes.expect(node, x -> new CreateNexus(vol, SIZE, List.of("bdev:///" + rep), x),
          NexusDone.class);
      String nbd = nodes.expect(node, x -> new PublishNexus(vol, Protocol.NBD, x), NexusDone.class)
          .nexus().deviceUri();
      try (NbdClient c = new NbdClient(nbd)) {
        Data.verify(c, 4, 16, STRIDE);
      }
      nodes.expect(node, x -> new DestroyNexus(vol, x), Removed.class);
      // Forgetting the damaged pool does not touch its disk.
      nodes.expect(node, x -> new DestroyPool("damaged", x), Removed.class);
    }
    assertArrayEquals(damagedSha, sha(damagedFile), "the damaged disk was written");

    try (Nodes nodes = new Nodes()) {
      ActorRef<IoEngineCommand> node = nodes.start(settings("z1", data));
      NodeStateReport again = nodes.subscribe(node).receiveMessage(Nodes.TIMEOUT);
      assertEquals(List.of("good"), again.pools().stream().map(PoolInfo::name).toList());
    }
    assertArrayEquals(damagedSha, sha(damagedFile), "the damaged disk was written");
  }

  @Test
  void createPoolImportsThePoolOnItsDiskAndNeverFormatsData() throws Exception {
    String disk = fileDisk("reused");
    String rep = UUID.randomUUID().toString();
    String uuid = UUID.randomUUID().toString();
    try (Nodes nodes = new Nodes()) {
      ActorRef<IoEngineCommand> node = nodes.start(settings("v1", dir.resolve("a")));
      nodes.expect(node, r -> new CreatePool("reused", uuid, disk, r), PoolDone.class);
      nodes.expect(node, r -> new CreateReplica(rep, "reused", SIZE, true, r), ReplicaDone.class);
    }
    Path junk = dir.resolve("junk");
    Files.write(junk, new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 1});
    try (RandomAccessFile f = new RandomAccessFile(junk.toFile(), "rw")) {
      f.setLength(64L << 20);
    }
    byte[] junkSha = sha(junk);
    try (Nodes nodes = new Nodes()) {
      ActorRef<IoEngineCommand> node = nodes.start(settings("v2", dir.resolve("b")));
      assertEquals(FailureKind.ALREADY_EXISTS, nodes.expect(node,
          r -> new CreatePool("renamed", "", disk, r), Failed.class).kind());
      PoolInfo p = nodes.expect(node, r -> new CreatePool("reused", uuid, disk, r), PoolDone.class)
          .pool();
      assertEquals(SIZE, p.committed());
      NodeStateReport s = nodes.subscribe(node).receiveMessage(Nodes.TIMEOUT);
      assertEquals(List.of(rep), s.replicas().stream().map(ReplicaInfo::uuid).toList());

      Failed f = nodes.expect(node, r -> new CreatePool("junk", "", "file://" + junk, r),
          Failed.class);
      assertEquals(FailureKind.INVALID_ARGUMENT, f.kind());
      assertTrue(f.message().contains("file://" + junk), f.message());
    }
    assertArrayEquals(junkSha, sha(junk), "a disk holding data was written");
  }

  @Test
  void aPoolThatFailedToImportIsImportedAgainOnRequest() throws Exception {
    Path data = dir.resolve("node");
    String disk = fileDisk("flaky");
    try (Nodes nodes = new Nodes()) {
      ActorRef<IoEngineCommand> node = nodes.start(settings("u1", data));
      nodes.expect(node, r -> new CreatePool("flaky", "", disk, r), PoolDone.class);
    }
    Path file = dir.resolve("flaky");
    flip(file, 0x5a);
    try (Nodes nodes = new Nodes()) {
      ActorRef<IoEngineCommand> node = nodes.start(settings("u1", data));
      NodeStateReport s = nodes.subscribe(node).receiveMessage(Nodes.TIMEOUT);
      assertEquals(Health.FAULTED, s.pools().get(0).status());
      Failed f = nodes.expect(node, r -> new ImportPool("flaky", "", disk, r), Failed.class);
      assertEquals(FailureKind.UNAVAILABLE, f.kind());
      assertTrue(f.message().contains("checksum"), f.message());
      flip(file, 0);
      PoolInfo p = nodes.expect(node, r -> new ImportPool("flaky", "", disk, r), PoolDone.class)
          .pool();
      assertEquals(Health.ONLINE, p.status());
      assertEquals(p, nodes.expect(node, r -> new CreatePool("flaky", "", disk, r), PoolDone.class)
          .pool());
    }
  }

  /** Sets a byte in the unused part of the superblock (its checksum then fails, or passes again). */
  private static void flip(Path file, int value) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(300);
      f.write(value);
    }
  }

  @Test
  void disksNamedAtStartAreImported() throws Exception {
    String disk = fileDisk("extra");
    String rep = UUID.randomUUID().toString();
    try (Nodes nodes = new Nodes()) {
      ActorRef<IoEngineCommand> node = nodes.start(settings("w1", dir.resolve("a")));
      nodes.expect(node, r -> new CreatePool("extra", "", disk, r), PoolDone.class);
      nodes.expect(node, r -> new CreateReplica(rep, "extra", SIZE, false, r), ReplicaDone.class);
    }
    // A node with an empty registry, told to import the disk.
    try (Nodes nodes = new Nodes()) {
      ActorRef<IoEngineCommand> node = nodes.start(settings("w2", dir.resolve("b"))
          .withImportDisks(List.of(disk, fileDisk("blank"))));
      NodeStateReport s = nodes.subscribe(node).receiveMessage(Nodes.TIMEOUT);
      assertEquals(List.of("extra"), s.pools().stream().map(PoolInfo::name).toList());
      assertEquals(List.of(rep), s.replicas().stream().map(ReplicaInfo::uuid).toList());
      nodes.expect(node, r -> new CreatePool("extra", "", disk, r), PoolDone.class);
    }
    // ... and it is in that node's registry now.
    try (Nodes nodes = new Nodes()) {
      ActorRef<IoEngineCommand> node = nodes.start(settings("w2", dir.resolve("b")));
      NodeStateReport s = nodes.subscribe(node).receiveMessage(Nodes.TIMEOUT);
      assertEquals(List.of("extra"), s.pools().stream().map(PoolInfo::name).toList());
    }
  }
}
