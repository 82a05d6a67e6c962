package io.caspian.bdev;

/**
 * Receives the outcome of one block I/O.
 *
 * <p>Callers keep one completion object per I/O slot and reuse it, so that submitting an I/O
 * allocates nothing. A device may call {@link #ioDone} on any thread, including the submitting
 * thread before the submit call returns; a caller that resubmits from inside {@code ioDone} must
 * therefore not recurse without bound.
 */
@FunctionalInterface
public interface IoCompletion {

  /**
   * @param error {@code null} when the I/O succeeded, otherwise what went wrong
   */
  void ioDone(BdevException error);
}
