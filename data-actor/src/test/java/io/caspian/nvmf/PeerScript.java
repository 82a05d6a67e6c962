package io.caspian.nvmf;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the third-party peer scripts in {@code <repo root>/../shared/peers}, echoing its
 * output into the test log. Tests that need one skip (with a message) when the directory is
 * absent.
 */
public final class PeerScript implements AutoCloseable {

  private final Process process;
  private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
  private final Thread pump;

  private PeerScript(Process process, String name) {
    this.process = process;
    this.pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) {
          lines.add(l);
          System.out.println("[" + name + "] " + l);
        }
      } catch (IOException e) {
        lines.add("(output lost: " + e + ")");
      }
    }, "peer-output");
    pump.setDaemon(true);
    pump.start();
  }

  /** The peers directory; skips the calling test when it does not exist. */
  public static Path peersDir() {
    Path here = Path.of("").toAbsolutePath();
    Path root = Files.exists(here.resolve("data-actor")) ? here : here.getParent();
    Path peers = root.resolve("../shared/peers").normalize();
    assumeTrue(Files.isExecutable(peers.resolve("nvmf-vm.sh")),
        "peer scripts not found at " + peers + "; skipping the real-peer test");
    return peers;
  }

  public static PeerScript start(Map<String, String> env, String... args) throws IOException {
    Path peers = peersDir();
    List<String> cmd = new ArrayList<>();
    cmd.add(peers.resolve(args[0]).toString());
    cmd.addAll(List.of(args).subList(1, args.length));
    // the scripts' tools may leave state files in their working directory: keep them out of the tree
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .directory(Files.createTempDirectory("caspian-peer").toFile());
    pb.environment().putAll(env);
    System.out.println("running " + env + " " + String.join(" ", cmd));
    return new PeerScript(pb.start(), args[0] + " " + args[1]);
  }

  /** Waits for the script to end; returns its exit status, or -1 after killing it on timeout. */
  public int await(long seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
      pump.join(2000);
      return -1;
    }
    pump.join(5000);
    return process.exitValue();
  }

  /**
   * Asks the script to stop (SIGTERM). Through the process handle, because {@code
   * Process.destroy()} also closes the pipes, and the script would die of SIGPIPE printing its
   * verdict.
   */
  public void terminate() {
    process.toHandle().destroy();
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** Whether any output line so far contains {@code text}. */
  public boolean printed(String text) {
    synchronized (lines) {
      return lines.stream().anyMatch(l -> l.contains(text));
    }
  }

  /** Every output line so far. */
  public List<String> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  /** The script's last line that starts with its PASS/FAIL verdict, or the last line. */
  public String verdict() {
    synchronized (lines) {
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (lines.get(i).contains(": PASS") || lines.get(i).contains(": FAIL")) {
          return lines.get(i);
        }
      }
      return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      terminate();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
