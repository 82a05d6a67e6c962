package io.caspian.bench;

import java.util.Locale;

/** Side-by-side measurement on a shared machine. */
final class Ratio {

  private Ratio() {}

  /**
   * IOPS of {@code a} over {@code b}, after a short warm-up of each, run in two halves ordered
   * A B B A, so drift on a shared machine (another tenant, page-cache writeback) weighs on both alike.
   */
  static double abba(Subject a, Subject b, String rw, double seconds) throws Exception {
    double half = seconds / 2;
    // a cold JIT or cache would count against whichever runs first
    double warm = Math.min(2, half);
    a.iops(rw, warm);
    b.iops(rw, warm);
    double a1 = a.iops(rw, half);
    double b1 = b.iops(rw, half);
    double b2 = b.iops(rw, half);
    double a2 = a.iops(rw, half);
    double r = (a1 + a2) / (b1 + b2);
    System.out.printf(Locale.ROOT, "  ratio %s: %.0f / %.0f IOPS = %.3f%n", rw, (a1 + a2) / 2, (b1 + b2) / 2, r);
    return r;
  }
}
