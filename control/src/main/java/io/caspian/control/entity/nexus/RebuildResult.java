package io.caspian.control.entity.nexus;

/** How a rebuild onto a child ended; UNKNOWN when its end was inferred from a state report that no longer shows it. */
public enum RebuildResult { UNKNOWN, COMPLETED, FAILED, STOPPED }
