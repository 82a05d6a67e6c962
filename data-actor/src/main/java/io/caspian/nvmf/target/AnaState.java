package io.caspian.nvmf.target;

import io.caspian.nvmf.Nvme;

/**
 * The Asymmetric Namespace Access state a target reports for a subsystem's namespace through
 * this target (this path): a host's multipath picks the path by it. Wire values are the ANA log
 * page's state codes, given explicitly so that reordering the constants changes nothing on the
 * wire.
 */
public enum AnaState {

  /** The path to use: I/O is served. */
  OPTIMIZED(0x01, 0),
  /** I/O is served, but a host should prefer an optimized path when it has one. */
  NON_OPTIMIZED(0x02, 0),
  /** I/O is refused with a path error: the host retries on another path. */
  INACCESSIBLE(0x03, Nvme.SC_ANA_INACCESSIBLE),
  /** The namespace will never be served through this path again. */
  PERSISTENT_LOSS(0x04, Nvme.SC_ANA_PERSISTENT_LOSS),
  /** In transition (e.g. while a nexus is being re-created): the host waits up to ANATT. */
  CHANGE(0x0F, Nvme.SC_ANA_TRANSITION);

  private final int wire;
  private final int ioStatus;

  AnaState(int wire, int ioStatus) {
    this.wire = wire;
    this.ioStatus = ioStatus;
  }

  /** The state's code in the ANA log page's group descriptor. */
  public int wireValue() {
    return wire;
  }

  /**
   * The status an I/O command gets in this state, 0 when it is served. Never with DNR: a path
   * error must stay retryable, or the Linux host fails the I/O instead of trying another path.
   */
  int ioStatus() {
    return ioStatus;
  }

  /** The state of wire code {@code v}. */
  public static AnaState ofWire(int v) {
    for (AnaState s : values()) {
      if (s.wire == v) {
        return s;
      }
    }
    throw new IllegalArgumentException("no ANA state has code " + v);
  }
}
