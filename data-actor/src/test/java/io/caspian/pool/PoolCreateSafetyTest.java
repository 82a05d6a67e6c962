package io.caspian.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pool create on file disks that hold something: each known signature at its real on-disk
 * offset (made by the real tool where the host has it: mkfs.ext4, mkswap), and data anywhere in
 * the area the format writes. Every refusal must leave the file byte for byte and size as it was;
 * {@code overwrite} formats it.
 */
class PoolCreateSafetyTest {

  private static final long SIZE = 32L << 20;
  private static final long CLUSTER = 1L << 20;

  @TempDir
  Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"mbr", "gpt", "gpt-backup", "ext4", "xfs", "btrfs", "lvm2", "swap",
      "caspian"})
  void aDiskWithASignatureIsRefusedAndLeftAsItWas(String kind) throws Exception {
    Path img = blank(kind);
    String expect = switch (kind) {
      case "mbr" -> {
        // A DOS partition entry (type 0x83 at LBA 2048) and the boot signature.
        put(img, 446, new byte[] {(byte) 0x80, 0, 2, 0, (byte) 0x83, 0, 0, 0, 0, 8, 0, 0, 0, 32});
        put(img, 510, new byte[] {0x55, (byte) 0xAA});
        yield "MBR";
      }
      case "gpt" -> {
        put(img, 510, new byte[] {0x55, (byte) 0xAA});
        put(img, 512, ascii("EFI PART"));
        yield "GPT";
      }
      case "gpt-backup" -> {
        // Only the backup header in the last LBA: the primary was wiped, the partitions remain.
        put(img, SIZE - 512, ascii("EFI PART"));
        yield "GPT";
      }
      case "ext4" -> {
        if (!tool("mkfs.ext4", "-q", "-F", img.toString())) {
          put(img, 1024 + 0x38, new byte[] {0x53, (byte) 0xEF});
        }
        yield "ext2/ext3/ext4";
      }
      case "xfs" -> {
        put(img, 0, ascii("XFSB"));
        yield "xfs";
      }
      case "btrfs" -> {
        put(img, (64 << 10) + 0x40, ascii("_BHRfS_M"));
        yield "btrfs";
      }
      case "lvm2" -> {
        put(img, 512, ascii("LABELONE"));
        put(img, 512 + 24, ascii("LVM2 001"));
        yield "LVM2";
      }
      case "swap" -> {
        if (!tool("mkswap", img.toString())) {
          put(img, 4096 - 10, ascii("SWAPSPACE2"));
        }
        yield "swap";
      }
      case "caspian" -> {
        try (BlockDevice d = open(img)) {
          Pool.create(d, "first", UUID.randomUUID(), CLUSTER, false).export();
        }
        yield "pool 'first'";
      }
      default -> throw new IllegalArgumentException(kind);
    };
    assertRefused(img, expect);
    try (BlockDevice d = open(img)) {
      UUID id = UUID.randomUUID();
      Pool.create(d, "p", id, CLUSTER, true).export();
    }
    try (BlockDevice d = open(img)) {
      Pool again = Pool.importFrom(d);
      assertEquals("p", again.name());
      again.export();
    }
  }

  @Test
  void dataAnywhereTheFormatWritesIsRefused() throws Exception {
    long metadataEnd = Superblock.layout("x", UUID.randomUUID(), "p", CLUSTER, 512, SIZE,
        Superblock.DEFAULT_LOG_BLOCKS).metadataEnd();
    assertTrue(metadataEnd > 8192, "metadata area of " + metadataEnd + " bytes");
    // The first 4 KiB stay zero: only the later blocks hold data (issue 10, case 4).
    for (long at : new long[] {4096, 5000, metadataEnd / 2 + 1, metadataEnd - 1}) {
      Path img = blank("data-" + at);
      put(img, at, new byte[] {7});
      assertRefused(img, "offset " + at);
    }
  }

  @Test
  void dataPastTheMetadataAreaIsKeptAndNotARefusal() throws Exception {
    Path img = blank("tail-data");
    byte[] data = new byte[1 << 20];
    new java.util.Random(5).nextBytes(data);
    put(img, SIZE - data.length, data);
    try (BlockDevice d = open(img)) {
      Pool.create(d, "p", UUID.randomUUID(), CLUSTER, false).export();
    }
    byte[] back = new byte[data.length];
    try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "r")) {
      f.seek(SIZE - data.length);
      f.readFully(back);
    }
    assertArrayEquals(data, back, "create wrote past the area its format uses");
  }

  private void assertRefused(Path img, String expect) throws Exception {
    String before = sha256(img);
    long size = Files.size(img);
    PoolException e;
    try (BlockDevice d = open(img)) {
      e = assertThrows(PoolException.class,
          () -> Pool.create(d, "p", UUID.randomUUID(), CLUSTER, false));
    }
    assertEquals(PoolException.Kind.ALREADY_FORMATTED, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains(expect), e.getMessage());
    assertTrue(e.getMessage().contains("overwrite"), "the refusal names the option: "
        + e.getMessage());
    assertEquals(before, sha256(img), "a refused create changed the disk");
    assertEquals(size, Files.size(img), "a refused create resized the disk");
  }

  private Path blank(String name) throws IOException {
    Path p = dir.resolve(name + ".img");
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.setLength(SIZE);
    }
    return p;
  }

  private static BlockDevice open(Path img) throws Exception {
    return DeviceOpener.standard().open("file://" + img);
  }

  private static void put(Path img, long at, byte[] bytes) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
      f.seek(at);
      f.write(bytes);
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  static String sha256(Path p) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    md.update(Files.readAllBytes(p));
    return HexFormat.of().formatHex(md.digest());
  }

  /** Runs a real formatting tool when the host has it; false (and the test writes the magic) if not. */
  private static boolean tool(String name, String... args) throws Exception {
    Path exe = null;
    for (String d : new String[] {"/usr/sbin/", "/sbin/", "/usr/bin/"}) {
      if (Files.isExecutable(Path.of(d + name))) {
        exe = Path.of(d + name);
      }
    }
    if (exe == null) {
      return false;
    }
    java.util.List<String> cmd = new java.util.ArrayList<>();
    cmd.add(exe.toString());
    cmd.addAll(java.util.List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    Assumptions.assumeTrue(p.waitFor(60, TimeUnit.SECONDS), name + " timed out");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), name + " failed: " + out);
    return true;
  }
}
