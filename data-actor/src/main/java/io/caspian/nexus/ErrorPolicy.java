package io.caspian.nexus;

import io.caspian.bdev.IoType;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * When child I/O errors fault a child: once {@code threshold} errors of the {@code counted} types
 * have happened within {@code window}. The error that brings the count in the window to the
 * threshold faults the child, so with the default of 64 the 64th error inside ten seconds does.
 *
 * @param threshold errors in the window that fault the child; at least 1
 * @param window length of the sliding window
 * @param counted I/O types whose errors count
 * @param reportInterval least time between two error-count reports of one child to listeners
 */
public record ErrorPolicy(int threshold, Duration window, Set<IoType> counted,
    Duration reportInterval) {

  /** Mayastor 0.3.0: 64 errors within 10 s, of reads, writes, unmaps and flushes. */
  public static final ErrorPolicy DEFAULT = new ErrorPolicy(64, Duration.ofSeconds(10),
      EnumSet.of(IoType.READ, IoType.WRITE, IoType.UNMAP, IoType.FLUSH, IoType.WRITE_ZEROES),
      Duration.ofSeconds(1));

  public ErrorPolicy {
    if (threshold < 1) {
      throw new IllegalArgumentException("error threshold must be at least 1, not " + threshold);
    }
    if (window == null || window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("error window must be positive, not " + window);
    }
    if (reportInterval == null || reportInterval.isNegative()) {
      throw new IllegalArgumentException("report interval must be >= 0, not " + reportInterval);
    }
    counted = counted == null || counted.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(counted));
  }

  public ErrorPolicy withThreshold(int n) {
    return new ErrorPolicy(n, window, counted, reportInterval);
  }

  public ErrorPolicy withWindow(Duration w) {
    return new ErrorPolicy(threshold, w, counted, reportInterval);
  }

  public ErrorPolicy withCounted(Set<IoType> types) {
    return new ErrorPolicy(threshold, window, types, reportInterval);
  }
}
