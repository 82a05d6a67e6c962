package io.caspian.control.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.DeviceOpener;
import io.caspian.datanode.bus.BusPublisher;
import io.caspian.events.proto.bus.BusEvent;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import io.caspian.kafka.KafkaClientSecurity;
import io.caspian.kafka.TopicAdmin;
import io.caspian.nexus.Nexus;
import io.caspian.nexus.NexusOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bus through a broker that requires SASL PLAIN: the io-engine's publisher, the control plane's consumer and
 * its topic admin, given the credentials from a client properties file as an operator writes one, carry a nexus's
 * events; with a wrong password the admin fails with Kafka's authentication error and nothing is delivered or
 * applied.
 */
class SecuredBusTest {

  private static final Duration T = Duration.ofSeconds(60);
  /** How long the refused clients are watched doing nothing. */
  private static final Duration REFUSED = Duration.ofSeconds(10);
  private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
      + "username=\"caspian\" password=\"%s\";";

  @Test
  void theRightCredentialsCarryTheBusAndWrongOnesAreRefused(@TempDir Path dir) throws Exception {
    KafkaClientSecurity right = clientConfig(dir, "right", "right-secret");
    KafkaClientSecurity wrong = clientConfig(dir, "wrong", "not-the-secret");
    List<String> kids = List.of("malloc:///sasl-a?size_mb=4", "malloc:///sasl-b?size_mb=4");
    MemorySink.Store store = new MemorySink.Store();
    MemorySink.Store refusedStore = new MemorySink.Store();
    try (KafkaBroker broker = KafkaBroker.start(KafkaBroker.Options.in(dir.resolve("kafka"))
        .withSaslPlain(Map.of("caspian", "right-secret")))) {
      String servers = broker.bootstrapServers();
      try (TopicAdmin admin = new TopicAdmin(servers, wrong)) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
            () -> admin.ensure(BusTopics.all((short) 1), REFUSED));
        assertTrue(e.getMessage().contains("SaslAuthenticationException"), e.getMessage());
      }
      try (TopicAdmin admin = new TopicAdmin(servers, right)) {
        admin.ensure(BusTopics.all((short) 1), T);
      }
      try (BusConsumer consumer = BusConsumer.start(BusConsumer.Options.of(servers).withSecurity(right),
              new MemorySink(store, 0, e -> false));
          BusConsumer refusedConsumer = BusConsumer.start(BusConsumer.Options.of(servers)
              .withGroupId("caspian-refused").withSecurity(wrong), new MemorySink(refusedStore, 0, e -> false));
          BusPublisher pub = new BusPublisher(BusPublisher.Options.of(servers, "node-1").withSecurity(right));
          BusPublisher refusedPub = new BusPublisher(BusPublisher.Options.of(servers, "node-2")
              .withSecurity(wrong));
          Nexus nexus = Nexus.create("sasl-nexus", 4 << 20, kids, DeviceOpener.standard(),
              NexusOptions.defaults())) {
        pub.attach(nexus);
        refusedPub.attach(nexus);
        nexus.faultChild(kids.get(1));
        await(() -> store.applied().stream().anyMatch(e -> e.hasChildStateChanged() && e.getNode().equals("node-1")),
            () -> pub.stats() + " " + consumer.stats());

        long deadline = System.nanoTime() + REFUSED.toNanos();
        while (System.nanoTime() < deadline) {
          assertEquals(0, refusedPub.stats().delivered(), "delivered with a wrong password");
          assertTrue(refusedStore.applied().isEmpty(), "consumed with a wrong password");
          Thread.sleep(200);
        }
        assertTrue(refusedPub.stats().queued() + refusedPub.stats().inFlight() > 0, refusedPub.stats().toString());
        assertTrue(store.applied().stream().noneMatch(e -> e.getNode().equals("node-2")),
            "the refused publisher's events reached the consumer");
        assertEquals(0, consumer.stats().failures());
      }
    }
  }

  /** A client properties file as an operator writes one, read as the roles read {@code --kafka-client-config}. */
  private static KafkaClientSecurity clientConfig(Path dir, String name, String password) throws Exception {
    Path file = dir.resolve(name + "-client.properties");
    Files.writeString(file, String.join("\n",
        "security.protocol=SASL_PLAINTEXT",
        "sasl.mechanism=PLAIN",
        "sasl.jaas.config=" + JAAS.formatted(password),
        ""));
    return KafkaClientSecurity.fromFile(file);
  }

  private static void await(BooleanSupplier done, Supplier<String> state) throws InterruptedException {
    long deadline = System.nanoTime() + T.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + T + ": " + state.get());
      }
      Thread.sleep(50);
    }
  }
}
