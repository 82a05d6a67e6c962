package io.caspian.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.caspian.bdev.MallocDevice;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The NBD server against clients nobody here wrote: libnbd (nbdinfo, nbdsh, nbdcopy), QEMU's NBD
 * client, fio's nbd engine ({@code nbd-baseline.sh client}) and the Linux kernel's nbd driver in a
 * VM ({@code nvmf-vm.sh nbd}). The scripts live in {@code ../shared/peers} beside the repository;
 * without it the tests are skipped.
 */
@Tag("peer")
class NbdServerPeerTest {

  private static final long EXPORT_SIZE = 128L << 20;
  private static final String EXPORT = "peer";

  private NbdServer server;
  private MallocDevice device;

  @BeforeEach
  void start() throws IOException {
    device = new MallocDevice("malloc:///nbd-peer", EXPORT_SIZE, 512);
    server = NbdServer.start("127.0.0.1", 0);
    server.export(EXPORT, device, false);
  }

  @AfterEach
  void stop() {
    server.close();
    device.close();
  }

  @Test
  void userSpaceClientsPassTheBaselineRun() throws Exception {
    Path peers = peersDir();
    String uri = "nbd://127.0.0.1:" + server.port() + "/" + EXPORT;
    Run run = run(List.of("bash", peers.resolve("nbd-baseline.sh").toString(), "client", uri), 900);
    Matcher m = Pattern.compile("(\\d+) passed, (\\d+) failed, (\\d+) skipped").matcher(run.output);
    assertTrue(m.find(), "no summary line in the peer's output");
    assertEquals("0", m.group(2), "failed steps: " + m.group());
    assertEquals(0, run.exit, "nbd-baseline.sh client exit status");
  }

  @Test
  void linuxKernelClientPasses() throws Exception {
    Path peers = peersDir();
    Run run = run(List.of("bash", peers.resolve("nvmf-vm.sh").toString(), "nbd",
        "127.0.0.1:" + server.port(), EXPORT), 900);
    assertEquals(0, run.exit, "nvmf-vm.sh nbd exit status");
    assertTrue(run.output.contains("nvmf-vm: PASS"), "no PASS line");
  }

  private static Path peersDir() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("data-actor"))) {
      dir = dir.getParent();
    }
    assumeTrue(dir != null, "repository root not found from " + System.getProperty("user.dir"));
    Path peers = dir.resolve("../shared/peers").normalize();
    assumeTrue(Files.isDirectory(peers), "peer scripts not found at " + peers + "; skipping");
    return peers;
  }

  private record Run(int exit, String output) {}

  /** Runs a peer script, echoing its output into the test log as it comes. */
  private static Run run(List<String> command, long timeoutSeconds) throws Exception {
    System.out.println("$ " + String.join(" ", command));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    Thread pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          System.out.println("  | " + line);
          synchronized (lines) {
            lines.add(line);
          }
        }
      } catch (IOException e) {
        System.out.println("  | (output closed: " + e + ")");
      }
    });
    pump.start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      pump.join(5000);
      throw new AssertionError(command.get(1) + " did not finish within " + timeoutSeconds + " s");
    }
    pump.join(10000);
    synchronized (lines) {
      return new Run(p.exitValue(), String.join("\n", lines));
    }
  }
}
