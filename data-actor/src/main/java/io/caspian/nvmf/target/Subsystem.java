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

  // ------------------------------------------------------------------ ANA

  /**
   * The only ANA group: one per subsystem, because a subsystem has exactly one namespace (one
   * volume) and is reached through one path per target, so every state change concerns the
   * whole subsystem and finer groups would add descriptors without adding choices.
   */
  static final int ANA_GROUP = 1;

  /** An ANA state and the change count that came with it, read together by the log page. */
  record Ana(AnaState state, long changeCount) {}

  private volatile Ana ana = new Ana(AnaState.OPTIMIZED, 0);
  /**
   * The status I/O commands get while the ANA state does not serve them, else 0: the only thing
   * the I/O path reads for ANA, one volatile int.
   */
  private volatile int anaIoStatus;

  Ana ana() {
    return ana;
  }

  int anaIoStatus() {
    return anaIoStatus;
  }

  /**
   * Sets the ANA state; returns false (and bumps nothing) when it already was {@code state}.
   * Synchronized so that concurrent changes each get their own change count.
   */
  synchronized boolean ana(AnaState state) {
    Ana was = ana;
    if (was.state() == state) {
      return false;
    }
    anaIoStatus = state.ioStatus();
    ana = new Ana(state, was.changeCount() + 1);
    return true;
  }

  // ------------------------------------------------------------------ reservations

  /** The namespace's reservations; read by every I/O queue per write (see Reservations). */
  private volatile Reservations reservations = Reservations.NONE;
  /** Makes a new reservation state durable before it takes effect; null keeps it in memory. */
  private ReservationStore store;

  Reservations reservations() {
    return reservations;
  }

  /** Whether a controller of {@code hostId} may write: one volatile read, no allocation. */
  boolean mayWrite(UUID hostId) {
    return reservations.mayWrite(hostId);
  }

  /**
   * Sets where the reservations persist and starts from {@code restored} (what the store held,
   * or {@link Reservations#NONE}): a replica shared again after a restart keeps fencing the
   * nexus its last holder superseded.
   */
  synchronized void persistReservations(ReservationStore store, Reservations restored) {
    this.store = store;
    this.reservations = restored;
  }

  /**
   * Runs one reservation command against the current state and publishes the result. A change
   * is made durable first: if it cannot be, the command fails and the old state stays, so a
   * host is never told it holds (or preempted) a reservation that a restart would forget.
   */
  synchronized int reserve(java.util.function.Function<Reservations, Reservations.Change> cmd) {
    Reservations.Change c = cmd.apply(reservations);
    if (c.status() == Nvme.SC_SUCCESS && !c.next().equals(reservations)) {
      if (store != null) {
        try {
          store.save(nqn, c.next());
        } catch (java.io.IOException e) {
          System.getLogger(Subsystem.class.getName()).log(System.Logger.Level.ERROR,
              "cannot persist the reservations of " + nqn, e);
          return Nvme.SC_INTERNAL;
        }
      }
      reservations = c.next();
    }
    return c.status();
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
