package io.caspian.nvmf.target;

import io.caspian.bdev.BlockDevice;
import io.caspian.nvmf.Nvme;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.UUID;

/**
 * One exported device: an NVMe subsystem with namespace 1 and the hosts allowed to connect.
 * A class rather than a record because its host list changes in place: controllers hold the
 * subsystem by identity, and a new allow list must not orphan them.
 */
final class Subsystem {

  private final String nqn;
  private final BlockDevice device;
  private final UUID uuid;
  private final String model;
  /** Host NQNs that may connect; empty means any host. Read by every event loop. */
  private volatile Set<String> allowedHosts;

  /**
   * @param uuid the namespace's uuid, reported as its NGUID and UUID descriptor
   * @param model the controller's model number (Identify Controller MN)
   */
  Subsystem(String nqn, BlockDevice device, Set<String> allowedHosts, UUID uuid, String model) {
    this.nqn = nqn;
    this.device = device;
    this.allowedHosts = Set.copyOf(allowedHosts);
    this.uuid = uuid;
    this.model = model;
  }

  /** A subsystem whose uuid comes from a Caspian NQN (else is derived from the NQN). */
  static Subsystem of(String nqn, BlockDevice device, Set<String> allowedHosts) {
    return new Subsystem(nqn, device, allowedHosts, uuidOf(nqn), Pages.MODEL);
  }

  String nqn() {
    return nqn;
  }

  BlockDevice device() {
    return device;
  }

  UUID uuid() {
    return uuid;
  }

  String model() {
    return model;
  }

  Set<String> allowedHosts() {
    return allowedHosts;
  }

  void allowedHosts(Set<String> hosts) {
    allowedHosts = Set.copyOf(hosts);
  }

  boolean allows(String hostNqn) {
    Set<String> hosts = allowedHosts;
    return hosts.isEmpty() || hosts.contains(hostNqn);
  }

  /** A serial number of at most 20 characters, stable for the namespace's uuid. */
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
