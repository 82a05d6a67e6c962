package io.caspian.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Where the broker's jars are. A build writes their paths (in the local Maven repository) into a resource of
 * {@code caspian-kafka-broker-lib}; a packaged installation names a directory of jars instead, through the system
 * property {@value #LIB_PROPERTY} or the environment variable {@value #LIB_ENV}.
 */
public final class BrokerClassPath {

  public static final String LIB_PROPERTY = "caspian.kafka.lib";
  public static final String LIB_ENV = "CASPIAN_KAFKA_LIB";
  private static final String RESOURCE = "/io/caspian/kafka/broker.classpath";
  private static final String VERSION_RESOURCE = "/io/caspian/kafka/broker-version.properties";

  private BrokerClassPath() {}

  /** The broker version this build pins (root pom {@code kafka-broker.version}). */
  public static String pinnedVersion() {
    try (InputStream in = BrokerClassPath.class.getResourceAsStream(VERSION_RESOURCE)) {
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("kafka.version");
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("resource " + VERSION_RESOURCE + " is missing from caspian-kafka", e);
    }
  }

  /** The jars to start the broker with, checked to exist and to hold the pinned broker version. */
  public static List<Path> resolve() {
    String dir = System.getProperty(LIB_PROPERTY, System.getenv(LIB_ENV));
    List<Path> jars = dir != null && !dir.isBlank() ? fromDirectory(Path.of(dir)) : fromResource();
    String broker = "kafka_2.13-" + pinnedVersion() + ".jar";
    if (jars.stream().noneMatch(j -> j.getFileName().toString().equals(broker))) {
      throw new IllegalStateException("Kafka broker class path has no " + broker + " (pinned by the root pom); "
          + "kafka-broker-lib's kafka.version and the root pom's kafka-broker.version must agree: " + jars);
    }
    for (Path j : jars) {
      if (!Files.isRegularFile(j)) {
        throw new IllegalStateException("Kafka broker jar " + j + " is missing; rebuild caspian-kafka-broker-lib"
            + " (mvn -pl kafka-broker-lib install) or set -D" + LIB_PROPERTY + " to a directory of the jars");
      }
    }
    return jars;
  }

  private static List<Path> fromDirectory(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException(LIB_PROPERTY + "/" + LIB_ENV + " names " + dir + ", not a directory");
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list Kafka broker jars in " + dir, e);
    }
  }

  private static List<Path> fromResource() {
    try (InputStream in = BrokerClassPath.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("resource " + RESOURCE + " is missing: caspian-kafka-broker-lib is not on "
            + "the class path; set -D" + LIB_PROPERTY + " to a directory of the Kafka broker jars");
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
      List<Path> out = new ArrayList<>();
      for (String s : text.split(java.io.File.pathSeparator)) {
        if (!s.isBlank()) {
          out.add(Path.of(s.trim()));
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }
}
