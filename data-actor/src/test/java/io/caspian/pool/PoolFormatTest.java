package io.caspian.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.MallocDevice;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PoolFormatTest {

  private static final long CLUSTER = 64 << 10;
  private static final String URI = "malloc:///pooldisk";

  private final MallocDevice mem = new MallocDevice(URI, 16 << 20, 512);

  private PowerLossDevice disk() {
    return PowerLossDevice.reliable(mem);
  }

  @Test
  void createExportImportKeepsIdentityReplicasAndStats() throws Exception {
    UUID id = UUID.randomUUID();
    Pool pool = Pool.create(disk(), "p1", id, CLUSTER, false);
    PoolStats empty = pool.stats();
    assertEquals(0, empty.used());
    assertEquals(empty.capacity(), empty.free());
    assertEquals(pool.superblock().clusterCount() * CLUSTER, empty.capacity());
    assertTrue(empty.capacity() > (12 << 20), "metadata should take well under 4 MiB: " + empty);
    UUID thick = UUID.randomUUID();
    UUID thin = UUID.randomUUID();
    pool.createReplica(thick, "thick", 3 * CLUSTER + 512, false);
    pool.createReplica(thin, "thin", 40 * CLUSTER, true);
    PoolStats stats = pool.stats();
    assertEquals(4 * CLUSTER, stats.used());
    assertEquals(40 * CLUSTER, stats.committed());
    pool.export();
    assertThrows(PoolException.class, () -> pool.createReplica(UUID.randomUUID(), "x", 512, true));

    Pool again = Pool.importFrom(disk());
    assertEquals("p1", again.name());
    assertEquals(id, again.uuid());
    assertEquals(URI, again.diskUri());
    assertEquals(stats, again.stats());
    List<Replica> rs = again.replicas();
    assertEquals(List.of("thick", "thin"), rs.stream().map(Replica::name).toList());
    assertEquals(3 * CLUSTER + 512, again.replica(thick).orElseThrow().size());
    assertFalse(again.replica(thick).orElseThrow().thin());
    assertEquals(40 * CLUSTER, again.replica(thin).orElseThrow().size());
    assertEquals("bdev:///" + thin, again.replica(thin).orElseThrow().uri());
    again.export();
  }

  @Test
  void createRefusesAnExistingPoolUnlessOverwrite() throws Exception {
    Pool.create(disk(), "old", UUID.randomUUID(), CLUSTER, false).export();
    long before = Disks.checksum(mem);
    PoolException e = assertThrows(PoolException.class,
        () -> Pool.create(disk(), "new", UUID.randomUUID(), CLUSTER, false));
    assertEquals(PoolException.Kind.ALREADY_FORMATTED, e.kind());
    assertTrue(e.getMessage().startsWith(URI + ": "), e.getMessage());
    assertTrue(e.getMessage().contains("'old'"), e.getMessage());
    assertEquals(before, Disks.checksum(mem));

    UUID id = UUID.randomUUID();
    Pool.create(disk(), "new", id, CLUSTER, true).export();
    Pool p = Pool.importFrom(disk());
    assertEquals("new", p.name());
    assertEquals(id, p.uuid());
    assertTrue(p.replicas().isEmpty());
    p.export();
  }

  @Test
  void createRefusesAnyNonZeroByteInTheSuperblockArea() throws Exception {
    for (int at : new int[] {0, 777, 4095}) {
      MallocDevice m = new MallocDevice("malloc:///dirty", 16 << 20, 512);
      byte[] block = new byte[512];
      block[at % 512] = 1;
      Disks.write(m, at / 512 * 512, block);
      long before = Disks.checksum(m);
      PoolException e = assertThrows(PoolException.class,
          () -> Pool.create(m, "p", UUID.randomUUID(), CLUSTER, false));
      assertEquals(PoolException.Kind.ALREADY_FORMATTED, e.kind());
      assertTrue(e.getMessage().contains("offset " + at), e.getMessage());
      assertEquals(before, Disks.checksum(m));
      Pool.create(m, "p", UUID.randomUUID(), CLUSTER, true).export();
    }
  }

  @Test
  void importOfABlankDiskIsNotAPool() throws Exception {
    long before = Disks.checksum(mem);
    PoolException e = assertThrows(PoolException.class, () -> Pool.importFrom(disk()));
    assertEquals(PoolException.Kind.NOT_A_POOL, e.kind());
    assertTrue(e.getMessage().startsWith(URI + ": "), e.getMessage());
    assertEquals(before, Disks.checksum(mem));
  }

  @Test
  void corruptSuperblockFailsImportAndWritesNothing() throws Exception {
    Pool.create(disk(), "p", UUID.randomUUID(), CLUSTER, false).export();
    byte[] sector = Disks.read(mem, 0, 512);
    sector[200] ^= 0x40;
    Disks.write(mem, 0, sector);
    assertImportFails(PoolException.Kind.CORRUPT, "superblock checksum");
  }

  @Test
  void corruptCheckpointFailsImportAndWritesNothing() throws Exception {
    Pool p = Pool.create(disk(), "p", UUID.randomUUID(), CLUSTER, false);
    p.createReplica(UUID.randomUUID(), "r", CLUSTER, false);
    long at = p.superblock().checkpointA();
    p.export();
    damage(at + 20);
    assertImportFails(PoolException.Kind.CORRUPT, "checkpoint");
  }

  @Test
  void damagedRecordInsideTheLogFailsImport() throws Exception {
    Pool p = Pool.create(disk(), "p", UUID.randomUUID(), CLUSTER, false);
    for (int i = 0; i < 3; i++) {
      p.createReplica(UUID.randomUUID(), "r" + i, CLUSTER, true);
    }
    long log = p.superblock().logOffset();
    p.export();
    damage(log + 100);
    assertImportFails(PoolException.Kind.CORRUPT, "record 0");
  }

  @Test
  void damagedLastRecordIsATornWriteNotCorruption() throws Exception {
    Pool p = Pool.create(disk(), "p", UUID.randomUUID(), CLUSTER, false);
    UUID keep = UUID.randomUUID();
    p.createReplica(keep, "keep", CLUSTER, true);
    p.createReplica(UUID.randomUUID(), "torn", CLUSTER, true);
    long log = p.superblock().logOffset();
    p.export();
    damage(log + Superblock.BLOCK + 100);
    Pool again = Pool.importFrom(disk());
    assertEquals(List.of("keep"), again.replicas().stream().map(Replica::name).toList());
    // The next change goes where the torn record was and survives another import.
    again.createReplica(UUID.randomUUID(), "next", CLUSTER, true);
    again.export();
    assertEquals(List.of("keep", "next"),
        Pool.importFrom(disk()).replicas().stream().map(Replica::name).toList());
  }

  @Test
  void damagedNewerCheckpointIsDetectedThroughItsLog() throws Exception {
    Pool p = Pool.create(disk(), "p", UUID.randomUUID(), CLUSTER, false, 2);
    for (int i = 0; i < 4; i++) {
      p.createReplica(UUID.randomUUID(), "r" + i, CLUSTER, true);
    }
    // Generation 1 (slot A) logged r0, r1; r2 went into checkpoint 2 (slot B); r3 into its log.
    long slotB = p.superblock().checkpointB();
    p.export();
    damage(slotB + 30);
    assertImportFails(PoolException.Kind.CORRUPT, "newer checkpoint is damaged");
  }

  @Test
  void checkpointsRollOverAndReplayAcrossGenerations() throws Exception {
    Pool p = Pool.create(disk(), "p", UUID.randomUUID(), CLUSTER, false, 2);
    for (int i = 0; i < 9; i++) {
      p.createReplica(UUID.randomUUID(), "r" + i, CLUSTER, i % 2 == 0);
    }
    PoolStats stats = p.stats();
    p.export();
    Pool again = Pool.importFrom(disk());
    assertEquals(9, again.replicas().size());
    assertEquals(stats, again.stats());
    again.export();
  }

  @Test
  void destroyLeavesNoPool() throws Exception {
    Pool p = Pool.create(disk(), "p", UUID.randomUUID(), CLUSTER, false);
    Replica r = p.createReplica(UUID.randomUUID(), "r", CLUSTER, false);
    p.destroy();
    assertEquals(io.caspian.bdev.BdevException.Kind.CLOSED, assertThrows(
        io.caspian.bdev.BdevException.class,
        () -> io.caspian.bdev.SyncIo.flush(r)).kind());
    assertEquals(PoolException.Kind.NOT_A_POOL,
        assertThrows(PoolException.class, () -> Pool.importFrom(disk())).kind());
    Pool.create(disk(), "fresh", UUID.randomUUID(), CLUSTER, false).export();
  }

  @Test
  void badParametersAreRefusedClearly() {
    assertEquals(PoolException.Kind.INVALID, assertThrows(PoolException.class,
        () -> Pool.create(disk(), "p", UUID.randomUUID(), 96 << 10, false)).kind());
    assertEquals(PoolException.Kind.INVALID, assertThrows(PoolException.class,
        () -> Pool.create(disk(), "", UUID.randomUUID(), CLUSTER, false)).kind());
    assertEquals(PoolException.Kind.INVALID, assertThrows(PoolException.class,
        () -> Pool.create(disk(), "x".repeat(256), UUID.randomUUID(), CLUSTER, false)).kind());
    PoolException small = assertThrows(PoolException.class, () -> Pool.create(
        new MallocDevice("malloc:///tiny", 1 << 20, 512), "p", UUID.randomUUID(), CLUSTER, false));
    assertEquals(PoolException.Kind.INVALID, small.kind());
    assertTrue(small.getMessage().contains("too small"), small.getMessage());
  }

  private void damage(long offset) throws Exception {
    long sector = offset / 512 * 512;
    byte[] b = Disks.read(mem, sector, 512);
    b[(int) (offset - sector)] ^= 0x5a;
    Disks.write(mem, sector, b);
  }

  private void assertImportFails(PoolException.Kind kind, String says) throws Exception {
    long before = Disks.checksum(mem);
    PoolException e = assertThrows(PoolException.class, () -> Pool.importFrom(disk()));
    assertEquals(kind, e.kind());
    assertTrue(e.getMessage().startsWith(URI + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(says), e.getMessage());
    assertEquals(before, Disks.checksum(mem), "a failed import must write nothing");
    assertNotEquals(0, before);
  }
}
