package io.caspian.rebuild;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;

/** What a rebuild job needs from the nexus that owns it. */
public interface RebuildHost {

  /** Whether {@code dev} is in sync now, so that its data may be copied. */
  boolean inSync(BlockDevice dev);

  /** Whether {@code dev} still receives every front-end write; a job stops copying if not. */
  boolean receivesWrites(BlockDevice dev);

  /**
   * An in-sync device to copy from other than {@code avoid} (which may be null), local ones
   * first; null when there is none.
   */
  BlockDevice pickSource(BlockDevice avoid);

  /** A read of the source failed: count it against that child like a front-end read error. */
  void sourceReadFailed(BlockDevice source, BdevException error);

  /**
   * A number that changes whenever a front-end I/O of the nexus starts or ends (it need not count
   * them exactly): the job reads it to tell a busy volume from an idle one without adding work to
   * the I/O path.
   */
  long frontEndActivity();

  /** The job reached a final state and has no copy in flight. Runs on the job's executor. */
  void finished(RebuildJob job);
}
