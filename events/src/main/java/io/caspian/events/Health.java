package io.caspian.events;

/** Health of a pool, replica, nexus or volume. */
public enum Health { UNKNOWN, ONLINE, DEGRADED, FAULTED }
