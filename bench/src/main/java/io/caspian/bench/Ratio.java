package io.caspian.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * Side-by-side measurement on a shared machine. One A-B-B-A run gave NBD over nbdkit 1.03 and the
 * next 1.31: a single ratio says nothing about how far the next run's will be. So a comparison runs
 * in slices, each a ratio of its own, and reports their median with how far the slices spread.
 */
final class Ratio {

  /** Beyond this spread (± % of the median) a ratio does not decide anything. */
  static final double WIDE_PCT = 5;

  private Ratio() {}

  /** How a comparison is cut: {@code slices} A/B pairs, each side running {@code sliceSeconds}. */
  record Plan(int slices, double sliceSeconds) {
    Plan {
      if (slices < 1 || !(sliceSeconds > 0)) {
        throw new IllegalArgumentException("need at least 1 slice of more than 0 s: " + slices + " x " + sliceSeconds);
      }
    }
  }

  /** What a comparison's slices gave: their median ratio (its value), lowest and highest. */
  record Spread(double median, double min, double max, int slices) {

    static Spread of(double... ratios) {
      if (ratios.length == 0) {
        throw new IllegalArgumentException("no slices");
      }
      double[] s = ratios.clone();
      Arrays.sort(s);
      int n = s.length;
      double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
      return new Spread(median, s[0], s[n - 1], n);
    }

    /**
     * The worse (lower) of several ratios, as a figure such as "worse of read and write" reports:
     * its value is the lowest median; each part could have come out anywhere between its min and
     * max, so the worst could have been as low as the lowest min and as high as the lowest max.
     */
    static Spread worst(Spread... parts) {
      Spread w = parts[0];
      double min = w.min;
      double max = w.max;
      for (Spread p : parts) {
        w = p.median < w.median ? p : w;
        min = Math.min(min, p.min);
        max = Math.min(max, p.max);
      }
      return new Spread(w.median, min, max, Arrays.stream(parts).mapToInt(Spread::slices).min().getAsInt());
    }

    /** How far the farther of min and max lies from the median, in ± percent of it. */
    double spreadPct() {
      return Math.max(max - median, median - min) * 100 / median;
    }

    boolean wide() {
      return spreadPct() > WIDE_PCT;
    }

    /** {@code key=median key_spread_pct=spread}, for a RESULT line. */
    String result(String key) {
      return String.format(Locale.ROOT, "%s=%.3f %s_spread_pct=%.1f", key, median, key, spreadPct());
    }

    /** One line a reader can judge the ratio by; SPREAD WIDE says it decides nothing. */
    String line(String label) {
      return String.format(Locale.ROOT, "  %s: median %.3f (min %.3f, max %.3f, spread ±%.1f%%, %d slices)%s",
          label, median, min, max, spreadPct(), slices, wide() ? "  SPREAD WIDE (over ±" + (int) WIDE_PCT
              + "%: this ratio decides nothing)" : "");
    }
  }

  /** The worse of {@link #compare}'s ratios for random read and random write, each printed. */
  static Spread worseOfReadWrite(String label, Subject a, Subject b, Plan plan) throws Exception {
    return Spread.worst(compare(label, a, b, "randread", plan), compare(label, a, b, "randwrite", plan));
  }

  /**
   * IOPS of {@code a} over {@code b}: a short warm-up of each, then the plan's slices, A B in even
   * slices and B A in odd ones, so neither side always runs first (in a warmer cache, before the
   * other's writeback); printed under {@code label}.
   */
  static Spread compare(String label, Subject a, Subject b, String rw, Plan plan) throws Exception {
    // a cold JIT or cache would count against whichever runs first
    double warm = Math.min(2, plan.sliceSeconds());
    a.iops(rw, warm);
    b.iops(rw, warm);
    double[] ratios = new double[plan.slices()];
    for (int i = 0; i < ratios.length; i++) {
      double ai;
      double bi;
      if (i % 2 == 0) {
        ai = a.iops(rw, plan.sliceSeconds());
        bi = b.iops(rw, plan.sliceSeconds());
      } else {
        bi = b.iops(rw, plan.sliceSeconds());
        ai = a.iops(rw, plan.sliceSeconds());
      }
      ratios[i] = ai / bi;
    }
    Spread s = Spread.of(ratios);
    System.out.println(s.line(label + " " + rw));
    return s;
  }
}
