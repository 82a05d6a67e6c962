package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.nvmf.target.Reservations;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PoolRegistryTest {
  private static final String HOST = "nqn.2024-01.io.caspian:node-2";
  private static final UUID HOLDER = UUID.fromString("00000000-0000-0000-0000-000000000002");
  private static final Reservations FENCED = new Reservations(7,
      List.of(new Reservations.Registrant(HOLDER, -2L)), HOLDER, 1);

  @TempDir
  Path dir;

  private Path file() {
    return dir.resolve("pools.registry");
  }

  @Test
  void everyChangeIsThereAfterAReopen() throws IOException {
    PoolRegistry r = PoolRegistry.open(dir);
    r.put("p1", "u1", "aio:///dev/sdb");
    r.put("p2", "u2", "file:///var/p2 with space");
    r.setShared("p1", "r1", true, Set.of(HOST));
    r.setShared("p1", "r2", true);
    r.setShared("p2", "r3", true, Set.of(HOST));
    r.setShared("p1", "r2", false);
    r.reservations("r1", FENCED);
    r.reservations("r3", FENCED);
    r.forgetReservations("r3");
    r.remove("p2");

    PoolRegistry again = PoolRegistry.open(dir);
    assertEquals(List.of(new PoolRegistry.Entry("p1", "u1", "aio:///dev/sdb", Set.of("r1"))), again.entries());
    assertEquals(Set.of(HOST), again.hosts("r1"));
    assertEquals(Set.of(), again.hosts("r3"), "its pool is gone, and its hosts with it");
    assertEquals(FENCED, again.reservations("r1"));
    assertEquals(Reservations.NONE, again.reservations("r3"));
  }

  @Test
  void aRecordCutShortByACrashIsDroppedAndTheRestKept() throws IOException {
    PoolRegistry r = PoolRegistry.open(dir);
    r.put("p1", "u1", "aio:///dev/sdb");
    r.setShared("p1", "r1", true, Set.of(HOST));
    // The crash came in the middle of appending a record: no newline, so no checksum either.
    Files.writeString(file(), "0badc0de share p1 r", StandardOpenOption.APPEND);

    PoolRegistry again = PoolRegistry.open(dir);
    assertEquals(Set.of("r1"), again.entries().get(0).shared());
    assertTrue(Files.readAllLines(file()).stream().noneMatch(l -> l.contains("0badc0de")),
        "the open rewrote the file without it");
    again.setShared("p1", "r2", true);
    assertEquals(Set.of("r1", "r2"), PoolRegistry.open(dir).entries().get(0).shared());
  }

  @Test
  void damageBeforeTheLastRecordIsRefusedNotForgotten() throws IOException {
    PoolRegistry r = PoolRegistry.open(dir);
    r.put("p1", "u1", "aio:///dev/sdb");
    r.reservations("r1", FENCED);
    r.setShared("p1", "r1", true, Set.of(HOST));
    List<String> lines = Files.readAllLines(file(), StandardCharsets.UTF_8);
    String resv = lines.stream().filter(l -> l.contains(" resv ")).findFirst().orElseThrow();
    Files.write(file(), lines.stream().map(l -> l.equals(resv) ? l.replace(" 7 ", " 6 ") : l).toList());

    IOException e = assertThrows(IOException.class, () -> PoolRegistry.open(dir));
    assertTrue(e.getMessage().contains("fails its checksum"), e.getMessage());
  }

  @Test
  void theLogIsCompactedSoItsSizeFollowsTheStateNotTheChanges() throws IOException {
    PoolRegistry r = PoolRegistry.open(dir);
    r.put("p1", "u1", "aio:///dev/sdb");
    for (int i = 0; i < 5_000; i++) {
      r.setShared("p1", "r" + (i % 10), i % 2 == 0, Set.of(HOST));
    }
    assertTrue(Files.size(file()) < 200 * 1024, "5,000 changes of 10 replicas: " + Files.size(file()) + " bytes");
    PoolRegistry again = PoolRegistry.open(dir);
    assertEquals(Set.of("r0", "r2", "r4", "r6", "r8"), again.entries().get(0).shared());
    assertEquals(Set.of(HOST), again.hosts("r8"));
    assertEquals(Set.of(), again.hosts("r9"));
  }

  @Test
  void aRegistryInTheFirstFormatIsReadAndRewritten() throws IOException {
    Files.write(file(), List.of("caspian-pool-registry 1", "pool p1 u1 aio%3A%2F%2F%2Fdev%2Fsdb", "share p1 r1",
        "host r1 " + HOST, "resv r1 7 1 " + HOLDER, "rkey r1 " + HOLDER + " " + Long.toUnsignedString(-2L)));
    PoolRegistry r = PoolRegistry.open(dir);
    assertEquals(List.of(new PoolRegistry.Entry("p1", "u1", "aio:///dev/sdb", Set.of("r1"))), r.entries());
    assertEquals(Set.of(HOST), r.hosts("r1"));
    assertEquals(FENCED, r.reservations("r1"));
    assertEquals("caspian-pool-registry 2", Files.readAllLines(file()).get(0));
    assertEquals(FENCED, PoolRegistry.open(dir).reservations("r1"));
  }
}
