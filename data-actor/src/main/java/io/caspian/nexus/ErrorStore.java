package io.caspian.nexus;

import io.caspian.bdev.IoType;
import java.util.EnumMap;
import java.util.Map;

/**
 * A child's recent I/O errors: a ring of (time, type) pairs pruned to the sliding window. Only
 * failed I/Os reach it, so it may lock; the success path never touches it.
 */
final class ErrorStore {

  /** {@link #record} result bit: the counted errors in the window reached the threshold. */
  static final int REACHED = 1;
  /** {@link #record} result bit: a report to listeners is due. */
  static final int REPORT = 2;

  private static final int MIN_CAPACITY = 64;

  private final String child;
  private long[] times = new long[MIN_CAPACITY];
  private byte[] types = new byte[MIN_CAPACITY];
  private int head;
  private int size;
  private long total;
  private long lastReport;
  private boolean reported;

  ErrorStore(String child) {
    this.child = child;
  }

  /** Records one error at {@code now} (nanoseconds); returns {@link #REACHED} / {@link #REPORT} bits. */
  synchronized int record(IoType type, long now, ErrorPolicy policy) {
    prune(now, policy);
    if (size == times.length) {
      if (times.length < Math.max(policy.threshold() * 2, 1024)) {
        grow();
      } else {
        head = (head + 1) % times.length;
        size--;
      }
    }
    int tail = (head + size) % times.length;
    times[tail] = now;
    types[tail] = (byte) type.ordinal();
    size++;
    total++;
    int result = 0;
    if (policy.counted().contains(type) && countedInWindow(policy) >= policy.threshold()) {
      result |= REACHED;
    }
    if (!reported || now - lastReport >= policy.reportInterval().toNanos()) {
      reported = true;
      lastReport = now;
      result |= REPORT;
    }
    return result;
  }

  synchronized ErrorCounts snapshot(long now, ErrorPolicy policy) {
    prune(now, policy);
    Map<IoType, Integer> per = new EnumMap<>(IoType.class);
    for (int i = 0; i < size; i++) {
      per.merge(IoType.of(types[(head + i) % types.length]), 1, Integer::sum);
    }
    return new ErrorCounts(child, Map.copyOf(per), countedInWindow(policy), policy.threshold(),
        policy.window().toMillis(), total);
  }

  /** Forgets every error: the child was brought back. */
  synchronized void reset() {
    head = 0;
    size = 0;
    total = 0;
    reported = false;
  }

  private int countedInWindow(ErrorPolicy policy) {
    int n = 0;
    for (int i = 0; i < size; i++) {
      if (policy.counted().contains(IoType.of(types[(head + i) % types.length]))) {
        n++;
      }
    }
    return n;
  }

  private void prune(long now, ErrorPolicy policy) {
    long window = policy.window().toNanos();
    while (size > 0 && now - times[head] >= window) {
      head = (head + 1) % times.length;
      size--;
    }
  }

  private void grow() {
    long[] t = new long[times.length * 2];
    byte[] y = new byte[types.length * 2];
    for (int i = 0; i < size; i++) {
      t[i] = times[(head + i) % times.length];
      y[i] = types[(head + i) % types.length];
    }
    times = t;
    types = y;
    head = 0;
  }
}
