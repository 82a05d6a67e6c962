package io.caspian.nvmf.target;

import io.caspian.bdev.BlockDevice;
import io.caspian.nvmf.Nvme;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.UUID;

/**
 * One exported device: an NVMe subsystem with namespace 1 and the hosts allowed to connect.
 *
 * @param uuid the namespace's uuid (from a Caspian NQN, else derived from the NQN)
 * @param allowedHosts host NQNs that may connect; empty means any host
 */
record Subsystem(String nqn, BlockDevice device, Set<String> allowedHosts, UUID uuid) {

  static Subsystem of(String nqn, BlockDevice device, Set<String> allowedHosts) {
    return new Subsystem(nqn, device, Set.copyOf(allowedHosts), uuidOf(nqn));
  }

  boolean allows(String hostNqn) {
    return allowedHosts.isEmpty() || allowedHosts.contains(hostNqn);
  }

  /** A 20-character serial number, stable for the subsystem. */
  String serial() {
    return Long.toHexString(uuid.getMostSignificantBits() ^ uuid.getLeastSignificantBits());
  }

  private static UUID uuidOf(String nqn) {
    if (nqn.startsWith(Nvme.NQN_PREFIX)) {
      try {
        return UUID.fromString(nqn.substring(Nvme.NQN_PREFIX.length()));
      } catch (IllegalArgumentException e) {
        // Not a uuid after the prefix: fall through to a name-based one.
      }
    }
    return UUID.nameUUIDFromBytes(nqn.getBytes(StandardCharsets.UTF_8));
  }
}
