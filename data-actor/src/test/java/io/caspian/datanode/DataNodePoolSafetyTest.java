package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.events.Health;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineCommand.CreatePool;
import io.caspian.events.ioengine.IoEngineReply.Failed;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.IoEngineReply.PoolDone;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CreatePool as the control plane sends it: a refused request changes nothing (not the file's
 * bytes, not its size; a file it would have created is not left behind), a loop device whose
 * first block is zero but whose later blocks hold data is refused until {@code overwrite}, and a
 * malloc pool larger than the memory there is is refused rather than run into the OOM killer.
 */
class DataNodePoolSafetyTest {
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
  void anExistingFileIsNeverResized() throws Exception {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("s1", dir.resolve("n"))
        .withDiskAllow(DiskAllowList.defaults(dir)));
    // A small text file (issue 10, case 3: a copy of /etc/passwd grew to 1 MiB).
    Path small = dir.resolve("passwd-copy");
    Files.writeString(small, "root:x:0:0:root:/root:/bin/bash\n".repeat(40));
    // A larger file holding data, which a truncate to size_mb would cut.
    Path large = dir.resolve("large.img");
    byte[] data = new byte[3 << 20];
    new Random(1).nextBytes(data);
    Files.write(large, data);
    for (Path p : List.of(small, large)) {
      String sha = sha256(p);
      long size = Files.size(p);
      Failed f = nodes.expect(node, r -> new CreatePool("p-" + p.getFileName(), "",
          "file://" + p + "?size_mb=1", r), Failed.class);
      assertEquals(FailureKind.INVALID_ARGUMENT, f.kind(), f.message());
      assertTrue(f.message().contains("never resized"), f.message());
      assertEquals(size, Files.size(p), "a refused create resized " + p);
      assertEquals(sha, sha256(p), "a refused create changed " + p);
      // Named as it is, the data is still refused, and still unchanged.
      Failed asIs = nodes.expect(node, r -> new CreatePool("q-" + p.getFileName(), "",
          "file://" + p, r), Failed.class);
      assertEquals(FailureKind.INVALID_ARGUMENT, asIs.kind(), asIs.message());
      assertEquals(size, Files.size(p));
      assertEquals(sha, sha256(p));
    }
  }

  @Test
  void aNewFileIsCreatedOnlyForAPoolThatIsMade() throws Exception {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("s2", dir.resolve("n"))
        .withDiskAllow(DiskAllowList.defaults(dir)));
    Path tooSmall = dir.resolve("tiny.img");
    Failed f = nodes.expect(node, r -> new CreatePool("tiny", "", "file://" + tooSmall
        + "?size_mb=1", r), Failed.class);
    assertTrue(f.message().contains("too small"), f.message());
    assertFalse(Files.exists(tooSmall), "a refused create left the file it made");
    Failed badUuid = nodes.expect(node, r -> new CreatePool("bad", "not-a-uuid", "file://"
        + dir.resolve("bad.img") + "?size_mb=64", r), Failed.class);
    assertEquals(FailureKind.INVALID_ARGUMENT, badUuid.kind());
    assertFalse(Files.exists(dir.resolve("bad.img")), "the disk was opened before the checks");

    Path fresh = dir.resolve("fresh.img");
    PoolDone done = nodes.expect(node, r -> new CreatePool("fresh", "", "file://" + fresh
        + "?size_mb=64", r), PoolDone.class);
    assertEquals(Health.ONLINE, done.pool().status());
    assertEquals(64L << 20, Files.size(fresh));
  }

  @Test
  void aMallocPoolLargerThanMemoryIsRefused() {
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("s3", dir.resolve("n")));
    Failed f = nodes.expect(node, r -> new CreatePool("huge", "", "malloc:///huge?size_mb="
        + (1L << 30), r), Failed.class);
    assertEquals(FailureKind.INVALID_ARGUMENT, f.kind());
    assertTrue(f.message().contains("memory") && f.message().contains("available"), f.message());
  }

  @Test
  void aLoopDeviceWithDataPastItsFirstBlockIsRefusedUntilOverwrite() throws Exception {
    Path backing = dir.resolve("loop.img");
    try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
      f.setLength(64L << 20);
      byte[] data = new byte[399 * 4096];
      new Random(2).nextBytes(data);
      f.seek(4096);
      f.write(data);
    }
    String loop = attach(backing);
    try {
      ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("s4", dir.resolve("n"))
          .withDiskAllow(List.of("/dev/loop*")));
      String sha = sha256(backing);
      Failed f = nodes.expect(node, r -> new CreatePool("lp", "", loop, r), Failed.class);
      assertEquals(FailureKind.INVALID_ARGUMENT, f.kind(), f.message());
      assertTrue(f.message().contains("offset 4096") && f.message().contains("overwrite"),
          f.message());
      assertEquals(sha, sha256(backing), "a refused create wrote to the loop device");
      assertEquals(64L << 20, Files.size(backing));

      PoolDone done = nodes.expect(node, r -> new CreatePool("lp", "", loop, true, r),
          PoolDone.class);
      assertEquals(Health.ONLINE, done.pool().status());
      assertFalse(sha.equals(sha256(backing)), "overwrite formatted nothing");
      nodes.expect(node, r -> new IoEngineCommand.DestroyPool("lp", r),
          io.caspian.events.ioengine.IoEngineReply.Removed.class);
    } finally {
      run(List.of(losetup(), "-d", loop));
    }
  }

  private static String sha256(Path p) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    md.update(Files.readAllBytes(p));
    return HexFormat.of().formatHex(md.digest());
  }

  private static String attach(Path backing) throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "loop devices need root; running as " + System.getProperty("user.name"));
    Assumptions.assumeTrue(Files.exists(Path.of("/dev/loop-control")),
        "no /dev/loop-control: this kernel or container has no loop devices");
    Assumptions.assumeTrue(losetup() != null, "losetup is not installed");
    String out = run(List.of(losetup(), "-f", "--show", backing.toString()));
    Assumptions.assumeTrue(out.startsWith("/dev/loop"), "losetup could not attach: " + out);
    return out;
  }

  private static String losetup() {
    for (String p : List.of("/usr/sbin/losetup", "/sbin/losetup", "/usr/bin/losetup")) {
      if (Files.isExecutable(Path.of(p))) {
        return p;
      }
    }
    return null;
  }

  private static String run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return String.join(" ", cmd) + " timed out";
    }
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
  }
}
