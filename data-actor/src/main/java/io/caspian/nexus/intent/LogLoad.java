package io.caspian.nexus.intent;

/** What reading a write-intent log found. */
public sealed interface LogLoad {

  /** No log: the nexus has never run here (or its log was deleted with it). */
  record Absent() implements LogLoad {}

  /** The newest valid slot. */
  record Loaded(LogImage image) implements LogLoad {}

  /** A file is there but neither slot is valid: nothing it says can be trusted. */
  record Unusable(String why) implements LogLoad {}
}
