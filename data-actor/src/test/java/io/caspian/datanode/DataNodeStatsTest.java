package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.events.Protocol;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineCommand.CreateNexus;
import io.caspian.events.ioengine.IoEngineCommand.CreatePool;
import io.caspian.events.ioengine.IoEngineCommand.CreateReplica;
import io.caspian.events.ioengine.IoEngineCommand.DestroyNexus;
import io.caspian.events.ioengine.IoEngineCommand.GetNexusStats;
import io.caspian.events.ioengine.IoEngineCommand.PublishNexus;
import io.caspian.events.ioengine.IoEngineReply.Failed;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.IoEngineReply.NexusDone;
import io.caspian.events.ioengine.IoEngineReply.PoolDone;
import io.caspian.events.ioengine.IoEngineReply.Removed;
import io.caspian.events.ioengine.IoEngineReply.ReplicaDone;
import io.caspian.events.ioengine.IoEngineReply.Stats;
import io.caspian.events.ioengine.NexusStats;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A nexus's I/O counters, read through the DataNode protocol after I/O over NBD. */
class DataNodeStatsTest {
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

  @Test
  void statsCountTheWritesAndReadsThroughTheNexus() throws Exception {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("s1", dir));
    assertEquals(FailureKind.NOT_FOUND, nodes.expect(node, r -> new GetNexusStats("no-such", r),
        Failed.class).kind());
    nodes.expect(node, r -> new CreatePool("p", "", "malloc:///stats?size_mb=64", r), PoolDone.class);
    String rep = UUID.randomUUID().toString();
    nodes.expect(node, r -> new CreateReplica(rep, "p", SIZE, true, r), ReplicaDone.class);
    String vol = UUID.randomUUID().toString();
    nodes.expect(node, r -> new CreateNexus(vol, SIZE, List.of("bdev:///" + rep), r), NexusDone.class);
    assertEquals(new NexusStats(vol, 0, 0, 0, 0, 0, 0), stats(node, vol));

    String uri = nodes.expect(node, r -> new PublishNexus(vol, Protocol.NBD, r), NexusDone.class)
        .nexus().deviceUri();
    int writes = 5;
    int reads = 3;
    try (NbdClient c = new NbdClient(uri)) {
      Data.write(c, 7, writes, STRIDE);
      Data.verify(c, 7, reads, STRIDE);
    }
    // A thin replica allocates on the I/O path, without its pool's actor; the pool's refresh
    // reports the space.
    Nodes.await(nodes.subscribe(node), r -> r.pools().get(0).used() > 0);
    NexusStats s = awaitStats(node, vol, writes, reads);
    assertEquals(vol, s.nexus());
    assertEquals((long) writes * Data.BLOCK, s.bytesWritten());
    assertEquals((long) reads * Data.BLOCK, s.bytesRead());
    assertTrue(s.writeLatencyUs() > 0 && s.readLatencyUs() > 0, s.toString());

    nodes.expect(node, r -> new DestroyNexus(vol, r), Removed.class);
    assertEquals(FailureKind.NOT_FOUND, nodes.expect(node, r -> new GetNexusStats(vol, r),
        Failed.class).kind());
  }

  private static NexusStats stats(ActorRef<IoEngineCommand> node, String nexus) {
    return nodes.expect(node, r -> new GetNexusStats(nexus, r), Stats.class).stats();
  }

  /** The counters once they hold the I/Os issued: an I/O may be answered just before it is counted. */
  private static NexusStats awaitStats(ActorRef<IoEngineCommand> node, String nexus, long writes,
      long reads) throws InterruptedException {
    long deadline = System.nanoTime() + Nodes.TIMEOUT.toNanos();
    NexusStats s = stats(node, nexus);
    while ((s.writeOps() < writes || s.readOps() < reads) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      s = stats(node, nexus);
    }
    assertEquals(writes, s.writeOps(), s.toString());
    assertEquals(reads, s.readOps(), s.toString());
    return s;
  }
}
