package io.caspian.bench;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latency histogram with log-linear buckets (16 per power of two, about 6 % resolution), lock-free
 * and allocation-free to record into.
 */
public final class Histogram {

  private static final int SUB = 16;
  private final AtomicLongArray counts = new AtomicLongArray(64 * SUB);

  public void record(long nanos) {
    counts.incrementAndGet(bucket(Math.max(1, nanos)));
  }

  private static int bucket(long v) {
    int exp = 63 - Long.numberOfLeadingZeros(v);
    if (exp < 4) {
      return (int) v;
    }
    int sub = (int) ((v >>> (exp - 4)) & (SUB - 1));
    return exp * SUB + sub;
  }

  private static long lowerBound(int bucket) {
    int exp = bucket / SUB;
    int sub = bucket % SUB;
    if (exp < 4) {
      return bucket;
    }
    return (1L << exp) | ((long) sub << (exp - 4));
  }

  /** The value at quantile {@code q} (0..1), in nanoseconds. */
  public long quantile(double q) {
    long total = 0;
    for (int i = 0; i < counts.length(); i++) {
      total += counts.get(i);
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < counts.length(); i++) {
      seen += counts.get(i);
      if (seen >= rank && seen > 0) {
        return lowerBound(i);
      }
    }
    return 0;
  }

  /** Adds every value recorded in {@code other}: one histogram for runs made in slices. */
  public void add(Histogram other) {
    for (int i = 0; i < counts.length(); i++) {
      counts.addAndGet(i, other.counts.get(i));
    }
  }
}
