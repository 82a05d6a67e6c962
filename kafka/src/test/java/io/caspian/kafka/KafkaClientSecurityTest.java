package io.caspian.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientSecurityTest {
  @TempDir
  Path dir;

  @Test
  void nothingConfiguredIsPlaintextAndAddsNothing() {
    KafkaClientSecurity none = KafkaClientSecurity.fromConfig(ConfigFactory.empty());
    assertTrue(none.isEmpty());
    assertEquals(KafkaClientSecurity.NONE, none);
    assertEquals(new Properties(), none.applyTo(new Properties()));
    assertEquals("plaintext", none.toString());
  }

  @Test
  void theBlockQuotedOrNotAndTheFileMergeTheFileWinning() throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, "sasl.jaas.config=from-the-file\nssl.truststore.password = secret \n");
    KafkaClientSecurity s = KafkaClientSecurity.fromConfig(ConfigFactory.parseString("""
        caspian.kafka.client {
          "security.protocol" = SASL_SSL
          sasl.mechanism = SCRAM-SHA-512
          "sasl.jaas.config" = from-the-block
          ssl.truststore.location = /etc/caspian/kafka-ca.p12
        }
        caspian.kafka.client-config = "%s"
        """.formatted(file)));
    assertEquals(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
        "sasl.jaas.config", "from-the-file", "ssl.truststore.location", "/etc/caspian/kafka-ca.p12",
        "ssl.truststore.password", "secret"), s.properties());
    assertEquals("SASL_SSL SCRAM-SHA-512", s.toString());
    assertFalse(s.toString().contains("secret"));
    Properties client = new Properties();
    client.put("bootstrap.servers", "127.0.0.1:9092");
    assertEquals("SASL_SSL", s.applyTo(client).get("security.protocol"));
    assertEquals("127.0.0.1:9092", client.get("bootstrap.servers"));
  }

  @Test
  void settingsBeyondSecurityAndAMissingFileAreRefused() throws Exception {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KafkaClientSecurity.fromConfig(
        ConfigFactory.parseString("caspian.kafka.client { \"enable.idempotence\" = false }")));
    assertEquals("Kafka client property 'enable.idempotence' is not a security setting; only security.protocol, "
        + "sasl.* and ssl.* are taken", e.getMessage());
    Path file = dir.resolve("acks.properties");
    Files.writeString(file, "acks=1\n");
    e = assertThrows(IllegalArgumentException.class, () -> KafkaClientSecurity.fromFile(file));
    assertTrue(e.getMessage().startsWith("Kafka client config " + file + ": Kafka client property 'acks'"),
        e.getMessage());
    Path none = dir.resolve("none.properties");
    e = assertThrows(IllegalArgumentException.class, () -> KafkaClientSecurity.fromFile(none));
    assertEquals("Kafka client config " + none + ": no such file", e.getMessage());
  }
}
