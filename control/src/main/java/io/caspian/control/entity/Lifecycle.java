package io.caspian.control.entity;

/**
 * ABSENT: never created. ACTIVE: live. DESTROYED: deleted; kept as a tombstone so that a repeated delete succeeds
 * and the id may be created again.
 */
public enum Lifecycle { ABSENT, ACTIVE, DESTROYED }
