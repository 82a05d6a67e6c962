package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.datanode.DiskAllowList.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskAllowListTest {

  @TempDir
  Path dir;

  private Path data() throws Exception {
    return Files.createDirectories(dir.resolve("data")).toRealPath();
  }

  private DiskAllowList defaults() throws Exception {
    return DiskAllowList.of(DiskAllowList.defaults(data()), dir.resolve("udev"));
  }

  private static void allowed(DiskAllowList l, String disk) {
    assertInstanceOf(Verdict.Allowed.class, l.judge(disk), disk);
  }

  private static void denied(DiskAllowList l, String disk) {
    Verdict v = l.judge(disk);
    assertInstanceOf(Verdict.Denied.class, v, disk);
    assertTrue(((Verdict.Denied) v).reason().contains(disk), ((Verdict.Denied) v).reason());
  }

  private static void malformed(DiskAllowList l, String disk) {
    assertInstanceOf(Verdict.Malformed.class, l.judge(disk), disk);
  }

  @Test
  void theDefaultsAreTheDataDirectoryByIdNamesMemoryAndNvmf() throws Exception {
    Path data = data();
    DiskAllowList l = defaults();
    allowed(l, "file://" + data + "/pool.img?size_mb=64");
    allowed(l, "aio://" + data + "/sub/deeper/pool.img");
    allowed(l, "uring://" + data + "/pool.img");
    allowed(l, data + "/pool.img");
    allowed(l, "malloc:///m?size_mb=64");
    allowed(l, "MALLOC:///m?size_mb=64");
    allowed(l, "nvmf://10.0.0.1:4420/nqn.2024-01.io.caspian:x?io_timeout_ms=5000");
    allowed(l, "/dev/disk/by-id/nvme-Samsung_SSD_980_S1");
    denied(l, "/dev/sda");
    denied(l, "aio:///dev/sda");
    denied(l, "uring:///dev/nvme0n1");
    denied(l, "file:///etc/passwd");
    denied(l, "file://" + dir + "/elsewhere.img?size_mb=64");
    denied(l, "/dev/disk/by-id");
    denied(l, "bdev:///4a2c0c1e-0000-4000-8000-000000000000");
    denied(l, "nosuch:///x");
  }

  @Test
  void traversalIsResolvedBeforeMatching() throws Exception {
    Path data = data();
    DiskAllowList l = defaults();
    denied(l, "file://" + data + "/../elsewhere.img?size_mb=64");
    denied(l, data + "/../../../etc/shadow");
    denied(l, "file://" + data + "/missing/../../elsewhere.img?size_mb=64");
    denied(l, "/dev/disk/by-id/../../sda");
    allowed(l, "file://" + data + "/a/../b.img?size_mb=64");
    allowed(l, "file://" + data + "/./b.img");
    // The data directory itself is no disk, and a sibling that shares its prefix is not below it.
    denied(l, "file://" + data);
    denied(l, "file://" + data + "-other/b.img");
  }

  @Test
  void percentEncodingIsDecodedAsTheOpenerDecodesIt() throws Exception {
    Path data = data();
    DiskAllowList l = defaults();
    denied(l, "file://" + data + "/%2E%2E/elsewhere.img?size_mb=64");
    denied(l, "file://" + data + "/%2e%2e/%2e%2e/etc/passwd");
    allowed(l, "file://" + data + "/with%20space.img?size_mb=64");
    malformed(l, "file://" + data + "/bad%zz.img");
  }

  @Test
  void queryStringsAreNotPartOfThePath() throws Exception {
    Path data = data();
    DiskAllowList l = defaults();
    allowed(l, "file://" + data + "/p.img?size_mb=64&blk_size=4096");
    denied(l, "file:///etc/passwd?size_mb=1");
  }

  @Test
  void trailingSlashesAreTheSamePath() throws Exception {
    Path data = data();
    DiskAllowList l = defaults();
    allowed(l, "file://" + data + "/p.img/");
    allowed(l, "file://" + data + "//p.img");
    DiskAllowList slash = DiskAllowList.of(List.of(data + "/"), dir.resolve("udev"));
    allowed(slash, "file://" + data + "/a/b/c.img");
    DiskAllowList exact = DiskAllowList.of(List.of(data + "/p.img"), dir.resolve("udev"));
    allowed(exact, "file://" + data + "/p.img");
    denied(exact, "file://" + data + "/q.img");
    DiskAllowList one = DiskAllowList.of(List.of(data + "/*"), dir.resolve("udev"));
    allowed(one, "file://" + data + "/p.img");
    denied(one, "file://" + data + "/sub/p.img");
  }

  @Test
  void aLinkIsJudgedByWhereItLeads() throws Exception {
    Path data = data();
    Path outside = Files.writeString(dir.resolve("outside.img"), "x");
    Files.createSymbolicLink(data.resolve("to-outside.img"), outside);
    Files.createSymbolicLink(data.resolve("to-dev"), Path.of("/dev"));
    Files.createSymbolicLink(data.resolve("dangling.img"), dir.resolve("not-yet.img"));
    Path inside = Files.writeString(data.resolve("inside.img"), "x");
    Files.createSymbolicLink(data.resolve("to-inside.img"), inside);
    DiskAllowList l = defaults();
    denied(l, "file://" + data + "/to-outside.img");
    denied(l, "file://" + data + "/to-dev/sda");
    // Creating through a dangling link would create its target, wherever that is.
    malformed(l, "file://" + data + "/dangling.img?size_mb=64");
    allowed(l, "file://" + data + "/to-inside.img");
  }

  @Test
  void aLinkedDataDirectoryStillMatchesItsDisks() throws Exception {
    Path real = data();
    Path link = Files.createSymbolicLink(dir.resolve("linked"), real);
    DiskAllowList l = DiskAllowList.of(DiskAllowList.defaults(link), dir.resolve("udev"));
    allowed(l, "file://" + link + "/p.img");
    allowed(l, "file://" + real + "/p.img");
  }

  @Test
  void udevLinksAreJudgedByTheirOwnName() throws Exception {
    Path udev = Files.createDirectories(dir.resolve("udev"));
    Path byId = Files.createDirectories(udev.resolve("by-id"));
    Path device = Files.writeString(dir.resolve("sdz"), "x");
    Files.createSymbolicLink(byId.resolve("wwn-0x5000"), device);
    DiskAllowList l = DiskAllowList.of(List.of(byId + "/*", "malloc:"), udev);
    allowed(l, byId + "/wwn-0x5000");
    allowed(l, "aio://" + byId + "/wwn-0x5000");
    denied(l, device.toString());
    // The same link anywhere else leads where it points.
    Path data = data();
    Files.createSymbolicLink(data.resolve("wwn-0x5000"), device);
    DiskAllowList d = DiskAllowList.of(List.of(data + "/"), udev);
    denied(d, data + "/wwn-0x5000");
  }

  @Test
  void urisThatCannotBeJudgedAreMalformed() throws Exception {
    DiskAllowList l = defaults();
    malformed(l, "file://etc/passwd");
    malformed(l, "aio://host:4420/dev/sda");
    malformed(l, "file:relative.img");
    malformed(l, "");
    malformed(l, "no scheme");
  }

  @Test
  void badPatternsAreRefusedAtStart() {
    assertThrows(IllegalArgumentException.class, () -> DiskAllowList.of(List.of()));
    assertThrows(IllegalArgumentException.class, () -> DiskAllowList.of(List.of(" ")));
    assertThrows(IllegalArgumentException.class, () -> DiskAllowList.of(List.of("var/lib/*")));
    assertThrows(IllegalArgumentException.class, () -> DiskAllowList.of(List.of("/var/../etc/*")));
    assertThrows(IllegalArgumentException.class, () -> DiskAllowList.of(List.of("/var/lib/[x")));
    assertThrows(IllegalArgumentException.class, () -> DiskAllowList.of(List.of("malloc")));
  }

  @Test
  void aDataDirectoryWithGlobCharactersIsTakenLiterally() throws Exception {
    Path odd = Files.createDirectories(dir.resolve("d[1]{x}")).toRealPath();
    DiskAllowList l = DiskAllowList.of(DiskAllowList.defaults(odd), dir.resolve("udev"));
    allowed(l, odd + "/p.img");
    Files.createDirectories(dir.resolve("d1x"));
    denied(l, dir.resolve("d1x") + "/p.img");
  }

  @Test
  void schemesAreCaseInsensitiveAndListedAsGiven() {
    DiskAllowList l = DiskAllowList.of(List.of("NVMF:"));
    allowed(l, "nvmf://h/nqn.2024-01.x:y");
    denied(l, "malloc:///m?size_mb=8");
    assertEquals(List.of("NVMF:"), l.patterns());
  }
}
