package io.caspian.kafka;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * How every Kafka client Caspian makes (the io-engines' bus publisher, the control plane's bus consumer and topic
 * admin, the public-event producer) authenticates to the brokers and encrypts its connections: Kafka's own client
 * properties, applied identically to producers, consumers and admins.
 *
 * <p>They come from {@code caspian.kafka.client} (a block of properties in a {@code --config} file) and from the
 * Java properties file {@code caspian.kafka.client-config} names ({@code --kafka-client-config}), the file's winning.
 * The file is where secrets belong ({@code sasl.jaas.config}, store passwords): only its path is on the command line.
 * Only {@code security.protocol} and the {@code sasl.*} and {@code ssl.*} properties are taken: the others decide
 * the bus's delivery guarantees (idempotence, acks, offsets), which Caspian sets itself and must not lose to a
 * copied client.properties. Empty: plaintext without authentication, as before.
 */
public record KafkaClientSecurity(Map<String, String> properties) {
  public static final String BLOCK = "caspian.kafka.client";
  public static final String FILE = "caspian.kafka.client-config";
  public static final KafkaClientSecurity NONE = new KafkaClientSecurity(Map.of());

  public KafkaClientSecurity {
    for (String key : properties.keySet()) {
      if (!key.equals("security.protocol") && !key.startsWith("sasl.") && !key.startsWith("ssl.")) {
        throw new IllegalArgumentException("Kafka client property '" + key + "' is not a security setting; "
            + "only security.protocol, sasl.* and ssl.* are taken");
      }
    }
    properties = Map.copyOf(new TreeMap<>(properties));
  }

  /** From {@link #BLOCK} and the file {@link #FILE} names (either may be absent), the file's entries winning. */
  public static KafkaClientSecurity fromConfig(Config config) {
    Map<String, String> m = new TreeMap<>();
    if (config.hasPath(BLOCK)) {
      // Quoted keys ("security.protocol" = ...) are single keys; unquoted ones nest, and both mean the same here.
      config.getConfig(BLOCK).entrySet().forEach(e -> {
        if (e.getValue().valueType() == ConfigValueType.LIST || e.getValue().valueType() == ConfigValueType.OBJECT) {
          throw new IllegalArgumentException(BLOCK + "." + e.getKey() + " must be a string");
        }
        m.put(String.join(".", com.typesafe.config.ConfigUtil.splitPath(e.getKey())),
            String.valueOf(e.getValue().unwrapped()));
      });
    }
    String file = config.hasPath(FILE) ? config.getString(FILE).strip() : "";
    if (!file.isEmpty()) {
      m.putAll(fromFile(Path.of(file)).properties());
    }
    return new KafkaClientSecurity(m);
  }

  /** A Java properties file as Kafka's own tools take ({@code --command-config}). */
  public static KafkaClientSecurity fromFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("Kafka client config " + file + ": no such file");
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException e) {
      throw new IllegalArgumentException("Kafka client config " + file + ": " + e.getMessage(), e);
    }
    Map<String, String> m = new TreeMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k).strip()));
    try {
      return new KafkaClientSecurity(m);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Kafka client config " + file + ": " + e.getMessage(), e);
    }
  }

  /** Adds these properties to a client's, and returns them. */
  public Properties applyTo(Properties client) {
    client.putAll(properties);
    return client;
  }

  public boolean isEmpty() {
    return properties.isEmpty();
  }

  /** The protocol and mechanism only: the other values may be secrets, and this ends up in logs. */
  @Override
  public String toString() {
    if (isEmpty()) {
      return "plaintext";
    }
    String mechanism = properties.get("sasl.mechanism");
    return properties.getOrDefault("security.protocol", "PLAINTEXT") + (mechanism == null ? "" : " " + mechanism);
  }
}
