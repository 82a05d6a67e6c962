package io.caspian.bdev;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The native devices on a real block device: a loop device over a 64 MiB file, opened by its
 * bare {@code /dev/loopN} path (which means AIO) and as {@code uring:///dev/loopN}. Needs root and
 * losetup; skipped, saying why, where either is missing.
 */
class LoopDeviceTest {

  private static final long SIZE = 64 << 20;

  @TempDir
  Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"", "uring://"})
  void loopDeviceSizeBlockSizeAndData(String prefix) throws Exception {
    Path backing = dir.resolve("loop-backing.img");
    try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
      f.setLength(SIZE);
    }
    String loop = attach(backing);
    try {
      String uri = prefix + loop;
      byte[] data = new byte[128 << 10];
      ThreadLocalRandom.current().nextBytes(data);
      try (BlockDevice dev = DeviceOpener.standard().open(uri)) {
        assertTrue(dev instanceof AioDevice == prefix.isEmpty(), dev.toString());
        assertEquals(SIZE, dev.size());
        assertEquals(512, dev.blockSize());
        ChecksummedLoad load = new ChecksummedLoad(dev);
        assertTrue(load.writeRandomly(2, 16, 700) > 0);
        SyncIo.flush(dev);
        load.verifyAll(32);

        ByteBuffer buf = DirectMemory.allocate(data.length);
        buf.put(0, data);
        SyncIo.write(dev, 8 << 20, buf);
        // BLKZEROOUT must zero; BLKDISCARD on a loop device punches a hole in the backing file.
        SyncIo.writeZeroes(dev, (8 << 20) + 4096, 8192);
        SyncIo.unmap(dev, SIZE - (1 << 20), 1 << 20);
        SyncIo.flush(dev);
        ByteBuffer back = DirectMemory.allocate(data.length);
        SyncIo.read(dev, 8 << 20, back);
        for (int i = 0; i < data.length; i++) {
          byte want = i >= 4096 && i < 4096 + 8192 ? 0 : data[i];
          assertEquals(want, back.get(i), "byte " + i);
        }
        System.arraycopy(new byte[8192], 0, data, 4096, 8192);
      }
      ByteBuffer plain = ByteBuffer.allocate(data.length);
      try (FileChannel ch = FileChannel.open(backing, StandardOpenOption.READ)) {
        ch.read(plain, 8 << 20);
      }
      assertArrayEquals(data, plain.array(), "the backing file holds what went through the loop device");
    } finally {
      run(List.of(losetup(), "-d", loop));
    }
  }

  private String attach(Path backing) throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "loop devices need root; running as " + System.getProperty("user.name"));
    Assumptions.assumeTrue(Files.exists(Path.of("/dev/loop-control")),
        "no /dev/loop-control: this kernel or container has no loop devices");
    Assumptions.assumeTrue(losetup() != null, "losetup is not installed");
    Result r = run(List.of(losetup(), "-f", "--show", backing.toString()));
    Assumptions.assumeTrue(r.code == 0 && r.out.startsWith("/dev/loop"),
        "losetup could not attach a loop device: " + r.out);
    return r.out;
  }

  private static String losetup() {
    for (String p : List.of("/usr/sbin/losetup", "/sbin/losetup", "/usr/bin/losetup")) {
      if (Files.isExecutable(Path.of(p))) {
        return p;
      }
    }
    return null;
  }

  private record Result(int code, String out) {}

  private static Result run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, String.join(" ", cmd) + " timed out");
    }
    return new Result(p.exitValue(),
        new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
  }
}
