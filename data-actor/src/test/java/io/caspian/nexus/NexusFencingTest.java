package io.caspian.nexus;

import static org.junit.jupiter.api.Assertions.*;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import io.caspian.nvmf.Nvme;
import io.caspian.nvmf.host.NvmfDevice;
import io.caspian.nvmf.target.NvmfTarget;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 13's fencing, in one process: a volume's nexus A (generation 1, on one node) mirrors to
 * two replicas, each exported by the NVMe/TCP target of its own replica node; A is frozen, the
 * control plane re-creates the volume's nexus as B (generation 2, another node, another host
 * identifier) over the same replicas, and A is resumed. None of A's writes after the failover
 * may reach a replica. Data is compared by CRC32C per block on the replicas' devices themselves.
 */
class NexusFencingTest {

  private static final int MB = 1 << 20;
  private static final long SIZE = 16L * MB;
  private static final int BLOCK = 4096;
  private static final int BLOCKS = 64;
  private static final UUID NODE_A = UUID.fromString("a0000000-0000-0000-0000-00000000000a");
  private static final UUID NODE_B = UUID.fromString("b0000000-0000-0000-0000-00000000000b");

  private final List<MallocDevice> replicas = new ArrayList<>();
  private final List<NvmfTarget> targets = new ArrayList<>();
  private final List<String> nqns = new ArrayList<>();
  private final List<Nexus> nexuses = new ArrayList<>();
  private final DeviceOpener opener =
      DeviceOpener.standard().with("nvmf", NvmfDevice.factory());
  private final String volume = UUID.randomUUID().toString();

  @BeforeEach
  void start() throws Exception {
    for (int i = 0; i < 2; i++) {
      MallocDevice r = new MallocDevice("malloc:///replica" + i, SIZE, 512);
      NvmfTarget t = NvmfTarget.bind("127.0.0.1", 0);
      String nqn = Nvme.nqnFor(UUID.randomUUID());
      t.addSubsystem(nqn, r, Set.of());
      replicas.add(r);
      targets.add(t);
      nqns.add(nqn);
    }
  }

  @AfterEach
  void stop() {
    nexuses.forEach(Nexus::close);
    targets.forEach(NvmfTarget::close);
  }

  /** The replicas as the io-engine on {@code node} reaches them. */
  private List<String> children(UUID node) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      out.add("nvmf://127.0.0.1:" + targets.get(i).port() + "/" + nqns.get(i) + "?hostid=" + node
          + "&hostnqn=nqn.2014-08.org.nvmexpress:uuid:" + node + "&io_queues=1&queue_depth=8");
    }
    return out;
  }

  private Nexus nexus(UUID node, long generation) throws BdevException {
    Nexus n = Nexus.create(volume, SIZE, children(node), opener,
        NexusOptions.defaults().withGeneration(generation));
    nexuses.add(n);
    return n;
  }

  private static ByteBuffer pattern(long seed) {
    ByteBuffer b = DirectMemory.allocate(BLOCK);
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < BLOCK; i += 8) {
      b.putLong(i, r.nextLong());
    }
    return b;
  }

  private static long crc(ByteBuffer b) {
    CRC32C c = new CRC32C();
    c.update(b.duplicate().clear().limit(BLOCK));
    return c.getValue();
  }

  /** Writes block {@code i} of pattern {@code seed} through {@code n}; returns its CRC. */
  private static long write(BlockDevice n, int i, long seed) throws BdevException {
    ByteBuffer b = pattern(seed * 1000 + i);
    SyncIo.write(n, (long) i * BLOCK, b, 0, BLOCK);
    return crc(b);
  }

  private static long read(BlockDevice d, int i) throws BdevException {
    ByteBuffer b = DirectMemory.allocate(BLOCK);
    SyncIo.read(d, (long) i * BLOCK, b, 0, BLOCK);
    return crc(b);
  }

  @Test
  void aResumedSupersededNexusWritesNothingToAnyReplica() throws Exception {
    Nexus a = nexus(NODE_A, 1);
    long[] expected = new long[BLOCKS];
    for (int i = 0; i < BLOCKS; i++) {
      expected[i] = write(a, i, 1); // pattern A
    }

    // A's node freezes (SIGSTOP): A sends nothing. The control plane gives up on it and
    // creates the volume's nexus on node B with the journaled generation + 1.
    Nexus b = nexus(NODE_B, 2);
    int wroteB = 0;
    for (int i = 0; i < BLOCKS; i += 2) {
      expected[i] = write(b, i, 2); // pattern B, on every other block
      wroteB++;
    }

    // A resumes, unaware, and writes pattern C everywhere: every write must fail.
    int failed = 0;
    for (int i = 0; i < BLOCKS; i++) {
      int block = i;
      BdevException e = assertThrows(BdevException.class, () -> write(a, block, 3),
          "block " + i + ": a superseded nexus's write completed successfully");
      if (i == 0) {
        // The first is refused by the replicas themselves; then A has no child left to write.
        assertEquals(BdevException.Kind.RESERVATION_CONFLICT, e.kind(), e.getMessage());
      }
      failed++;
    }
    assertEquals(BLOCKS, failed);
    for (ChildInfo c : a.children()) {
      assertEquals(ChildState.faulted(ChildState.FaultReason.FENCED), c.state(),
          c.uri() + " of the superseded nexus");
    }
    assertEquals(NexusState.FAULTED, a.state());

    // On both replicas, read directly: B's data where B wrote, A's old data elsewhere.
    for (MallocDevice r : replicas) {
      for (int i = 0; i < BLOCKS; i++) {
        assertEquals(expected[i], read(r, i), r.uri() + " block " + i + " (written by "
            + (i % 2 == 0 ? "B" : "A before the failover") + ")");
      }
    }
    // B carries on: reads all of it back and writes.
    for (int i = 0; i < BLOCKS; i++) {
      assertEquals(expected[i], read(b, i));
    }
    assertEquals(NexusState.ONLINE, b.state());
    long again = write(b, 1, 4);
    for (MallocDevice r : replicas) {
      assertEquals(again, read(r, 1));
    }
    System.out.printf("fencing: A wrote %d blocks, B %d after the failover, A's %d writes after "
        + "it all failed; 2 replicas x %d blocks checked%n", BLOCKS, wroteB, failed, BLOCKS);
  }

  /**
   * A superseded nexus with a local child (the replica on its own node, which no target guards)
   * must not acknowledge a write the local child took: the first refusal from a remote replica
   * stops the whole nexus, reads included, since what it holds locally is no longer the volume.
   */
  @Test
  void aSupersededNexusWithALocalChildAcknowledgesNothing() throws Exception {
    Nexus a = Nexus.create(volume, SIZE, List.of("malloc:///a-local?size_mb=16",
        children(NODE_A).get(0)), opener, NexusOptions.defaults().withGeneration(1));
    nexuses.add(a);
    write(a, 0, 1);
    Nexus b = nexus(NODE_B, 2);
    long fromB = write(b, 0, 2);

    BdevException e = assertThrows(BdevException.class, () -> write(a, 0, 3),
        "a superseded nexus acknowledged a write its local child took");
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT, e.kind(), e.getMessage());
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT,
        assertThrows(BdevException.class, () -> read(a, 0)).kind(),
        "a superseded nexus still serves reads from its local child");
    assertEquals(fromB, read(replicas.get(0), 0), "the replica holds the newer nexus's data");
    assertEquals(fromB, read(b, 0));
  }

  @Test
  void aNexusOfAnOlderGenerationCannotBeCreated() throws Exception {
    nexus(NODE_B, 5);
    BdevException e = assertThrows(BdevException.class, () -> nexus(NODE_A, 4));
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT, e.kind());
    // The newer one is unharmed.
    long c = write(nexuses.get(0), 0, 9);
    for (MallocDevice r : replicas) {
      assertEquals(c, read(r, 0));
    }
  }

  @Test
  void aNexusWithoutAGenerationFencesNothing() throws Exception {
    Nexus a = Nexus.create(volume, SIZE, children(NODE_A), opener, NexusOptions.defaults());
    nexuses.add(a);
    Nexus b = Nexus.create(volume, SIZE, children(NODE_B), opener, NexusOptions.defaults());
    nexuses.add(b);
    write(a, 0, 1);
    write(b, 0, 2);
    assertEquals(0, a.generation());
    assertEquals(NexusState.ONLINE, a.state());
  }
}
