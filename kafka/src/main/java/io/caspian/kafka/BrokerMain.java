package io.caspian.kafka;

import java.io.IOException;
import java.io.InputStream;

/**
 * Main class of the broker JVM: runs {@code kafka.Kafka} and exits when its standard input closes, which happens
 * when the JVM that started it dies, however it dies (even by SIGKILL, when no shutdown hook runs). So a crashed
 * test or node leaves no broker behind. Uses the JDK only: the broker JVM's class path holds Kafka's jars and this
 * class, never kafka-clients 4.4 nor anything else of Caspian.
 */
public final class BrokerMain {

  private BrokerMain() {}

  public static void main(String[] args) throws Exception {
    Thread watchdog = new Thread(() -> {
      try (InputStream in = System.in) {
        while (in.read() >= 0) {
          // the launcher never writes: anything read is ignored
        }
      } catch (IOException ignored) {
        // a broken pipe means the same as end of input
      }
      System.exit(0); // Kafka's shutdown hook does a controlled shutdown
    }, "caspian-parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    Class.forName("kafka.Kafka").getMethod("main", String[].class).invoke(null, (Object) args);
  }
}
