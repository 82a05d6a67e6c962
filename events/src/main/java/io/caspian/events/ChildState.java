package io.caspian.events;

/** A nexus child: ONLINE is in sync and serves reads; DEGRADED takes writes only (rebuilding); FAULTED is out. */
public enum ChildState { UNKNOWN, ONLINE, DEGRADED, FAULTED }
