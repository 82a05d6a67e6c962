package io.caspian.datanode;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DeviceUri;
import java.util.Optional;
import java.util.Set;

/**
 * Which nexus children the command boundary accepts: replicas only, local ({@code bdev://}) or
 * remote ({@code nvmf://}). A nexus opens its children read-write, so a child {@code /dev/sda} or
 * {@code file:///etc/shadow} named through the API would bypass the {@link DiskAllowList} that
 * guards pools. The {@code Nexus} class itself still opens any device (benchmarks, tests).
 */
final class ChildUris {

  private static final Set<String> SCHEMES = Set.of("bdev", "nvmf");
  /** Ten minutes: longer would leave a write hanging past any host's own timeout. */
  private static final long MAX_IO_TIMEOUT_MS = 600_000;

  private ChildUris() {
  }

  /** Why {@code uri} may not be a child, or empty when it may. */
  static Optional<String> refusal(String uri) {
    DeviceUri u;
    try {
      u = DeviceUri.parse(uri);
    } catch (BdevException e) {
      return Optional.of(e.getMessage());
    }
    if (!SCHEMES.contains(u.scheme())) {
      return Optional.of("child " + uri + ": a nexus child must be a replica, bdev:///uuid or "
          + "nvmf://host:port/nqn, not scheme '" + u.scheme() + "'");
    }
    String timeout = u.params().get("io_timeout_ms");
    if (timeout != null) {
      long ms;
      try {
        ms = Long.parseLong(timeout);
      } catch (NumberFormatException e) {
        ms = -1;
      }
      if (ms < 1 || ms > MAX_IO_TIMEOUT_MS) {
        return Optional.of("child " + uri + ": io_timeout_ms must be 1.." + MAX_IO_TIMEOUT_MS
            + ", not '" + timeout + "'");
      }
    }
    return Optional.empty();
  }
}
