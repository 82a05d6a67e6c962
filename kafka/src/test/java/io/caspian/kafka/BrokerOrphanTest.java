package io.caspian.kafka;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A broker whose starting JVM is killed (no shutdown hook runs) stops by itself. */
class BrokerOrphanTest {

  /** Started as a separate JVM by the test: starts a broker, prints its port, then waits to be killed. */
  public static void main(String[] args) throws Exception {
    KafkaBroker b = KafkaBroker.start(Path.of(args[0]));
    System.out.println("PORT " + b.port());
    System.out.flush();
    Thread.sleep(TimeUnit.MINUTES.toMillis(5));
  }

  @Test
  void theBrokerEndsWhenTheJvmThatStartedItIsKilled(@TempDir Path dir) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process owner = new ProcessBuilder(List.of(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
        BrokerOrphanTest.class.getName(), dir.resolve("kafka").toString()))
        .redirectErrorStream(true).start();
    int port = -1;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(owner.getInputStream(),
        StandardCharsets.UTF_8))) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      for (String line; port < 0 && System.nanoTime() < deadline && (line = r.readLine()) != null; ) {
        if (line.startsWith("PORT ")) {
          port = Integer.parseInt(line.substring(5).trim());
        }
      }
      assertTrue(port > 0, "the owner JVM did not start a broker");
      assertTrue(listening(port));
      List<ProcessHandle> broker = owner.descendants().toList();
      assertTrue(!broker.isEmpty(), "the broker runs in a process of its own");
      owner.destroyForcibly(); // SIGKILL: the owner's shutdown hooks do not run
      owner.waitFor(10, TimeUnit.SECONDS);
      // Waiting for the process, not only its port: it still writes its log directory while it stops.
      for (ProcessHandle h : broker) {
        h.onExit().get(60, TimeUnit.SECONDS);
      }
      assertTrue(!listening(port), "the broker outlived the JVM that started it");
    } finally {
      owner.destroyForcibly();
    }
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}
