package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.events.Health;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineCommand.CreatePool;
import io.caspian.events.ioengine.IoEngineCommand.DestroyPool;
import io.caspian.events.ioengine.IoEngineCommand.ImportPool;
import io.caspian.events.ioengine.IoEngineReply.Failed;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.IoEngineReply.PoolDone;
import io.caspian.events.ioengine.IoEngineReply.Removed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: a real io-engine refuses, as PERMISSION_DENIED and before opening anything, a pool on a
 * disk outside its allow list (the data directory, udev's by-id names, malloc and nvmf by
 * default; {@code --disk-allow} in their place), and the disk named is neither created nor changed.
 */
class DataNodeDiskAllowTest {
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

  /** A root-only directory outside the data directory, as in the report. */
  private Path secretDir() throws Exception {
    Path secret = Files.createDirectories(dir.resolve("secret"));
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rwx------"));
    return secret;
  }

  @Test
  void aPoolOutsideTheDataDirectoryIsRefusedAndNothingIsCreatedOrChanged() throws Exception {
    Path data = dir.resolve("node");
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("da1", data));
    Path secret = secretDir();
    Path created = secret.resolve("new.img");
    Path existing = secret.resolve("data.img");
    byte[] content = new byte[2 << 20];
    new Random(3).nextBytes(content);
    Files.write(existing, content);
    FileTime mtime = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(existing, mtime);
    byte[] sha = sha(existing);
    Files.createDirectories(data);
    Files.createSymbolicLink(data.resolve("link.img"), existing);

    for (String disk : List.of("file://" + created + "?size_mb=64",
        "aio://" + created + "?size_mb=64", "uring://" + created + "?size_mb=64",
        created + "?size_mb=64",
        "file://" + data + "/../secret/new.img?size_mb=64",
        "file://" + data + "/%2E%2E/secret/new.img?size_mb=64",
        "file://" + existing, "file://" + existing + "?size_mb=64", existing.toString(),
        "file://" + data.resolve("link.img") + "?size_mb=64", "/dev/sda", "aio:///dev/sda")) {
      Failed f = nodes.expect(node, r -> new CreatePool("p", "", disk, true, r), Failed.class);
      assertEquals(FailureKind.PERMISSION_DENIED, f.kind(), disk + ": " + f.message());
      assertTrue(f.message().contains("--disk-allow"), f.message());
      Failed i = nodes.expect(node, r -> new ImportPool("p", "", disk, r), Failed.class);
      assertEquals(FailureKind.PERMISSION_DENIED, i.kind(), disk + ": " + i.message());
      assertFalse(Files.exists(created), disk + " created " + created);
      assertArrayEquals(sha, sha(existing), disk + " changed " + existing);
      assertEquals(mtime, Files.getLastModifiedTime(existing), disk + " touched " + existing);
      assertEquals(content.length, Files.size(existing));
    }
    // A path URI with a host is refused as malformed: the opener would drop the host.
    assertEquals(FailureKind.INVALID_ARGUMENT, nodes.expect(node,
        r -> new CreatePool("p", "", "file://etc/passwd", r), Failed.class).kind());
    assertTrue(nodes.subscribe(node).receiveMessage(Nodes.TIMEOUT).pools().isEmpty());
  }

  @Test
  void aPoolInTheDataDirectoryOrInMemoryIsMade() throws Exception {
    Path data = dir.resolve("node");
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("da2", data));
    PoolDone done = nodes.expect(node, r -> new CreatePool("in", "", "file://" + data
        + "/in.img?size_mb=64", r), PoolDone.class);
    assertEquals(Health.ONLINE, done.pool().status());
    assertEquals(64L << 20, Files.size(data.resolve("in.img")));
    // Judged as the kernel resolves it: '.', '..' and '//' that stay inside are fine.
    Files.createDirectories(data.resolve("sub"));
    nodes.expect(node, r -> new CreatePool("in2", "", "file://" + data
        + "/./sub/..//in2.img?size_mb=64", r), PoolDone.class);
    assertTrue(Files.exists(data.resolve("in2.img")));
    nodes.expect(node, r -> new CreatePool("mem", "", "malloc:///da2?size_mb=32", r),
        PoolDone.class);
    nodes.expect(node, r -> new DestroyPool("in", r), Removed.class);
    nodes.expect(node, r -> new DestroyPool("in2", r), Removed.class);
    nodes.expect(node, r -> new DestroyPool("mem", r), Removed.class);
  }

  @Test
  void diskAllowTakesThePlaceOfTheDefaults() throws Exception {
    Path data = dir.resolve("node");
    Path secret = secretDir();
    ActorRef<IoEngineCommand> node = nodes.start(DataNodeSettings.local("da3", data)
        .withDiskAllow(List.of(secret + "/*.img")));
    PoolDone done = nodes.expect(node, r -> new CreatePool("s", "", "file://" + secret
        + "/allowed.img?size_mb=64", r), PoolDone.class);
    assertEquals(Health.ONLINE, done.pool().status());
    Files.createDirectories(data);
    for (String disk : List.of("file://" + data + "/in.img?size_mb=64",
        "file://" + secret + "/other.raw?size_mb=64", "malloc:///da3?size_mb=32")) {
      Failed f = nodes.expect(node, r -> new CreatePool("t", "", disk, r), Failed.class);
      assertEquals(FailureKind.PERMISSION_DENIED, f.kind(), disk + ": " + f.message());
    }
    assertFalse(Files.exists(data.resolve("in.img")));
    assertFalse(Files.exists(secret.resolve("other.raw")));
    nodes.expect(node, r -> new DestroyPool("s", r), Removed.class);
  }

  private static byte[] sha(Path file) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
  }
}
