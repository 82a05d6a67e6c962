package io.caspian.nexus;

/** State of one child of a nexus, with the reason, as in Mayastor. */
public sealed interface ChildState {

  /** In sync: serves reads and receives writes. */
  record Online() implements ChildState {}

  /** Not serving reads, for a reason that is expected to pass. */
  record Degraded(DegradedReason reason) implements ChildState {}

  /** Out of the I/O path until an operator or reconciler acts. */
  record Faulted(FaultReason reason) implements ChildState {}

  ChildState ONLINE = new Online();

  enum DegradedReason {
    /** Being opened or added. */
    INIT,
    /** Receives writes but misses data: being rebuilt or waiting for a rebuild. */
    OUT_OF_SYNC,
    /** Closed on request; may be brought back. */
    CLOSED
  }

  enum FaultReason {
    IO_ERROR,
    CANT_OPEN,
    REBUILD_FAILED,
    NO_SPACE,
    TIMED_OUT,
    BY_CLIENT,
    /** The replica answered Reservation Conflict: a newer nexus has taken the volume over. */
    FENCED
  }

  static ChildState degraded(DegradedReason reason) {
    return new Degraded(reason);
  }

  static ChildState faulted(FaultReason reason) {
    return new Faulted(reason);
  }

  default boolean isOnline() {
    return this instanceof Online;
  }
}
