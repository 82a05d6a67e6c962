package io.caspian.nexus;

/** Online when every child is Online, Degraded when some are, Faulted when none is. */
public enum NexusState {
  ONLINE,
  DEGRADED,
  FAULTED
}
