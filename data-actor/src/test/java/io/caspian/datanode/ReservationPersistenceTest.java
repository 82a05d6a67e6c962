package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.*;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceFactory;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import io.caspian.nexus.ChildInfo;
import io.caspian.nexus.ChildState;
import io.caspian.nexus.Nexus;
import io.caspian.nexus.NexusOptions;
import io.caspian.nvmf.Nvme;
import io.caspian.nvmf.host.NvmfDevice;
import io.caspian.nvmf.target.NvmfTarget;
import io.caspian.nvmf.target.Reservations;
import io.caspian.nvmf.target.ReservationStore;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica's reservation survives its io-engine's restart: the target saves every change in the
 * pool registry (as {@link PoolActor} wires it) and a new target over the same replica and
 * registry file starts from it, so a superseded nexus that reconnects is still fenced.
 */
class ReservationPersistenceTest {

  private static final int MB = 1 << 20;
  private static final long SIZE = 16L * MB;
  private static final int BLOCK = 4096;
  private static final int BLOCKS = 32;
  private static final UUID NODE_A = UUID.fromString("a0000000-0000-0000-0000-00000000000a");
  private static final UUID NODE_B = UUID.fromString("b0000000-0000-0000-0000-00000000000b");

  @TempDir
  Path dir;

  private final String replica = UUID.randomUUID().toString();
  private final String nqn = Nvme.nqnFor(UUID.fromString(replica));
  private final MallocDevice device = new MallocDevice("malloc:///replica", SIZE, 512);
  private final List<Nexus> nexuses = new ArrayList<>();
  /** The nvmf devices each node's nexus opened, to wait for their reconnects. */
  private final Map<UUID, List<NvmfDevice>> opened = new ConcurrentHashMap<>();
  private NvmfTarget target;

  @AfterEach
  void stop() {
    nexuses.forEach(Nexus::close);
    if (target != null) {
      target.close();
    }
  }

  /** The replica node's target, its namespace's reservations kept in {@code registry}. */
  private NvmfTarget share(PoolRegistry registry, int port) throws Exception {
    NvmfTarget t = NvmfTarget.bind("127.0.0.1", port);
    ReservationStore store = (n, r) -> registry.reservations(replica, r);
    t.addSubsystem(nqn, device, Set.of(), UUID.fromString(replica), NodeServices.REPLICA_MODEL,
        store, registry.reservations(replica));
    return t;
  }

  private String child(UUID node) {
    return "nvmf://127.0.0.1:" + target.port() + "/" + nqn + "?hostid=" + node
        + "&hostnqn=nqn.2014-08.org.nvmexpress:uuid:" + node + "&io_queues=1&queue_depth=8";
  }

  private Nexus nexus(UUID node, long generation) throws BdevException {
    DeviceFactory f = NvmfDevice.factory();
    DeviceOpener opener = DeviceOpener.standard().with("nvmf", u -> {
      BlockDevice d = f.open(u);
      opened.computeIfAbsent(node, k -> new ArrayList<>()).add((NvmfDevice) d);
      return d;
    });
    Nexus n = Nexus.create("vol", SIZE, List.of(child(node)), opener,
        NexusOptions.defaults().withGeneration(generation));
    nexuses.add(n);
    return n;
  }

  private void awaitReconnected(UUID node) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    for (NvmfDevice d : opened.get(node)) {
      while (d.connects() < 2) {
        assertTrue(System.nanoTime() < end, d + " did not reconnect");
        Thread.sleep(20);
      }
    }
  }

  private static long write(BlockDevice d, int i, long seed) throws BdevException {
    ByteBuffer b = DirectMemory.allocate(BLOCK);
    SplittableRandom r = new SplittableRandom(seed * 1000 + i);
    for (int k = 0; k < BLOCK; k += 8) {
      b.putLong(k, r.nextLong());
    }
    SyncIo.write(d, (long) i * BLOCK, b, 0, BLOCK);
    return crc(b);
  }

  private static long read(BlockDevice d, int i) throws BdevException {
    ByteBuffer b = DirectMemory.allocate(BLOCK);
    SyncIo.read(d, (long) i * BLOCK, b, 0, BLOCK);
    return crc(b);
  }

  private static long crc(ByteBuffer b) {
    CRC32C c = new CRC32C();
    c.update(b.duplicate().clear().limit(BLOCK));
    return c.getValue();
  }

  @Test
  void aSupersededNexusStaysFencedAcrossTheReplicaTargetsRestart() throws Exception {
    target = share(PoolRegistry.open(dir), 0);
    int port = target.port();
    Nexus a = nexus(NODE_A, 1);
    long[] expected = new long[BLOCKS];
    for (int i = 0; i < BLOCKS; i++) {
      expected[i] = write(a, i, 1);
    }
    Nexus b = nexus(NODE_B, 2); // A is frozen meanwhile
    for (int i = 0; i < BLOCKS; i += 2) {
      expected[i] = write(b, i, 2);
    }
    // What a restart would read: a copy of the registry, opened on its own.
    Path copy = Files.createDirectories(dir.resolve("copy"));
    Files.copy(dir.resolve("pools.registry"), copy.resolve("pools.registry"));
    Reservations saved = PoolRegistry.open(copy).reservations(replica);
    assertEquals(NODE_B, saved.holder());
    assertEquals(List.of(new Reservations.Registrant(NODE_B, 2)), saved.registrants(),
        "A was preempted");

    // The replica's io-engine restarts: a new target, the registry read back from disk.
    target.close();
    PoolRegistry reopened = PoolRegistry.open(dir);
    target = share(reopened, port);
    Reservations r = target.reservations(nqn);
    assertEquals(NODE_B, r.holder());
    assertEquals(Nvme.RTYPE_WRITE_EXCLUSIVE, r.type());
    assertEquals(List.of(new Reservations.Registrant(NODE_B, 2)), r.registrants());

    // A resumes; its connection comes back to the restarted target, and it is still fenced.
    awaitReconnected(NODE_A);
    int failed = 0;
    for (int i = 0; i < BLOCKS; i++) {
      int block = i;
      BdevException e = assertThrows(BdevException.class, () -> write(a, block, 3));
      if (i == 0) {
        assertEquals(BdevException.Kind.RESERVATION_CONFLICT, e.kind(), e.getMessage());
      }
      failed++;
    }
    for (ChildInfo c : a.children()) {
      assertEquals(ChildState.faulted(ChildState.FaultReason.FENCED), c.state());
    }
    // Nor can A's node fence its way back in with the old generation.
    try (NvmfDevice d = NvmfDevice.open(child(NODE_A))) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> d.fence(1).get(10, TimeUnit.SECONDS));
      assertEquals(BdevException.Kind.RESERVATION_CONFLICT,
          ((BdevException) e.getCause()).kind());
      BdevException w = assertThrows(BdevException.class, () -> write(d, 1, 4));
      assertEquals(BdevException.Kind.RESERVATION_CONFLICT, w.kind());
    }
    for (int i = 0; i < BLOCKS; i++) {
      assertEquals(expected[i], read(device, i), "replica block " + i);
    }

    // B, reconnected, goes on writing.
    awaitReconnected(NODE_B);
    long again = write(b, 1, 5);
    assertEquals(again, read(device, 1));
    System.out.printf("persistence: after the target's restart A's %d writes all failed, B's "
        + "reservation (key 2) restored from %s%n", failed, dir.resolve("pools.registry"));
  }

  @Test
  void theRegistryKeepsReservationsUntilTheReplicaIsForgotten() throws Exception {
    PoolRegistry reg = PoolRegistry.open(dir);
    Reservations r = new Reservations(3, List.of(new Reservations.Registrant(NODE_B, -2L),
        new Reservations.Registrant(NODE_A, 1)), NODE_B, Nvme.RTYPE_WRITE_EXCLUSIVE);
    reg.reservations(replica, r);
    assertEquals(r, PoolRegistry.open(dir).reservations(replica), "unsigned keys round-trip");
    reg.forgetReservations(replica);
    assertEquals(Reservations.NONE, PoolRegistry.open(dir).reservations(replica));
  }
}
