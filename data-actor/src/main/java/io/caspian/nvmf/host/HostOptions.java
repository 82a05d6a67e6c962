package io.caspian.nvmf.host;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DeviceUri;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.UUID;

/**
 * How to reach and use one remote namespace, from an {@code nvmf://host:port/nqn?...} URI.
 *
 * <p>Query options: {@code io_queues} (default 2), {@code queue_depth} per I/O queue (32),
 * {@code hostnqn} (the node's host NQN when the opener has one, else a uuid NQN derived from the
 * host id), {@code hostid} (uuid), {@code hdgst}
 * and {@code ddgst} (0/1, default 0), {@code io_timeout_ms} (30000 unless the opener sets another
 * default), {@code kato_ms} (5000),
 * {@code connect_timeout_ms} (5000), {@code fault_after_ms} (10000): how long the target may stay
 * unreachable before the device reports itself failed to its watcher (a pool then goes Faulted).
 */
public record HostOptions(String uri, String host, int port, String subNqn, String hostNqn,
    UUID hostId, int ioQueues, int queueDepth, boolean headerDigest, boolean dataDigest,
    long ioTimeoutMs, int katoMs, long connectTimeoutMs, long faultAfterMs) {

  public static final int DEFAULT_PORT = 4420;
  /** The Linux host's default (nvme_core.io_timeout), for a URI opened with no other default. */
  public static final long DEFAULT_IO_TIMEOUT_MS = 30_000;
  /**
   * A target away this long is failed, not just reconnecting: twice the default keep-alive
   * timeout, so that one lost keep-alive or a target restart does not fault a pool.
   */
  public static final long DEFAULT_FAULT_AFTER_MS = 10_000;
  private static final Set<String> KNOWN = Set.of("io_queues", "queue_depth", "hostnqn", "hostid",
      "hdgst", "ddgst", "io_timeout_ms", "kato_ms", "connect_timeout_ms", "fault_after_ms");

  public static HostOptions parse(DeviceUri u) throws BdevException {
    return parse(u, null, DEFAULT_IO_TIMEOUT_MS);
  }

  /**
   * @param nodeHostNqn the host NQN this node presents unless the URI names one (targets admit
   *     hosts by it), or null for one derived from the host name
   * @param ioTimeoutMs the I/O timeout unless the URI sets {@code io_timeout_ms}
   */
  public static HostOptions parse(DeviceUri u, String nodeHostNqn, long ioTimeoutMs)
      throws BdevException {
    String text = u.text();
    if (u.host().isEmpty()) {
      throw cant(text, "needs a host: nvmf://host:port/nqn");
    }
    String nqn = u.name();
    if (!nqn.startsWith("nqn.") || nqn.length() > 223) {
      throw cant(text, "path must be a subsystem NQN (nqn.yyyy-mm.domain:...), not '" + nqn + "'");
    }
    for (String k : u.params().keySet()) {
      if (!KNOWN.contains(k)) {
        throw cant(text, "unknown option '" + k + "'; known options: " + KNOWN);
      }
    }
    UUID hostId;
    try {
      String h = u.params().get("hostid");
      hostId = h == null ? UUID.nameUUIDFromBytes(("caspian-host:"
          + (nodeHostNqn == null ? localName() : nodeHostNqn)).getBytes(StandardCharsets.UTF_8))
          : UUID.fromString(h);
    } catch (IllegalArgumentException e) {
      throw cant(text, "hostid must be a uuid");
    }
    String hostNqn = u.params().getOrDefault("hostnqn",
        nodeHostNqn == null ? "nqn.2014-08.org.nvmexpress:uuid:" + hostId : nodeHostNqn);
    long ioQueues = u.longParam("io_queues", 2);
    long depth = u.longParam("queue_depth", 32);
    if (ioQueues > 64) {
      throw cant(text, "io_queues must be 1..64, not " + ioQueues);
    }
    if (depth < 2 || depth > 1024) {
      throw cant(text, "queue_depth must be 2..1024, not " + depth);
    }
    long kato = u.longParam("kato_ms", 5000);
    if (kato > 3_600_000) {
      throw cant(text, "kato_ms must be at most an hour");
    }
    return new HostOptions(text, u.host(), u.port() < 0 ? DEFAULT_PORT : u.port(), nqn, hostNqn,
        hostId, (int) ioQueues, (int) depth, flag(u, "hdgst"), flag(u, "ddgst"),
        u.longParam("io_timeout_ms", ioTimeoutMs), (int) kato, u.longParam("connect_timeout_ms", 5000),
        u.longParam("fault_after_ms", DEFAULT_FAULT_AFTER_MS));
  }

  private static boolean flag(DeviceUri u, String key) throws BdevException {
    String v = u.params().getOrDefault(key, "0");
    return switch (v) {
      case "0", "false" -> false;
      case "1", "true", "" -> true;
      default -> throw cant(u.text(), "option '" + key + "' must be 0 or 1, not '" + v + "'");
    };
  }

  private static String localName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "localhost";
    }
  }

  private static BdevException cant(String uri, String msg) {
    return BdevException.of(BdevException.Kind.CANT_OPEN, uri, msg);
  }
}
