package io.caspian.rebuild;

/** Life cycle of a rebuild job, as in Mayastor. */
public enum RebuildState {
  /** Created, not copying yet. */
  INIT,
  RUNNING,
  /** Copies in flight finish; no new segment starts until resumed. */
  PAUSED,
  /** Stopped by request; the destination keeps the segments it still lacks marked. */
  STOPPED,
  /** Ended by an error; the cause is in the job's record. */
  FAILED,
  /** Every segment was copied. */
  COMPLETED;

  /** Whether the job can change no more. */
  public boolean isFinal() {
    return this == STOPPED || this == FAILED || this == COMPLETED;
  }
}
