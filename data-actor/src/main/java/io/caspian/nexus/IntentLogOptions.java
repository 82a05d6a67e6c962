package io.caspian.nexus;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Where a nexus keeps its write-intent log and how often it clears regions that went quiet.
 *
 * @param file the log file, {@code <io-engine data dir>/nexus/<uuid>.wil} on a data node
 * @param clearEvery the period of the clearing pass: a region is cleared once it had no write for
 *     a whole period and every member child is in sync over it
 */
public record IntentLogOptions(Path file, Duration clearEvery) {

  public static final Duration DEFAULT_CLEAR_EVERY = Duration.ofSeconds(5);

  public IntentLogOptions {
    if (file == null || clearEvery == null || clearEvery.isNegative() || clearEvery.isZero()) {
      throw new IllegalArgumentException("an intent log needs a file and a positive clearing "
          + "period, not " + file + " / " + clearEvery);
    }
  }

  public static IntentLogOptions at(Path file) {
    return new IntentLogOptions(file, DEFAULT_CLEAR_EVERY);
  }
}
