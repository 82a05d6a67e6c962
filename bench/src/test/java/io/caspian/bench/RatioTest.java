package io.caspian.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RatioTest {

  private static final double EPS = 1e-9;

  @Test
  void anOddCountsMedianIsItsMiddleSliceWhateverTheOrder() {
    assertSpread(1.312, 1.290, 1.335, 7, Ratio.Spread.of(1.335, 1.290, 1.312, 1.300, 1.320, 1.310, 1.315));
  }

  @Test
  void anEvenCountsMedianIsTheMeanOfItsTwoMiddleSlices() {
    assertSpread(1.15, 1.0, 1.4, 4, Ratio.Spread.of(1.4, 1.0, 1.2, 1.1));
  }

  @Test
  void theSpreadIsTheFartherOfMinAndMaxInPercentOfTheMedian() {
    // max is 0.023 above, min 0.022 below: the farther counts
    assertEquals(0.023 / 1.312 * 100, Ratio.Spread.of(1.290, 1.312, 1.335).spreadPct(), EPS);
    assertEquals(20, Ratio.Spread.of(0.8, 1.0, 1.05).spreadPct(), EPS);
    assertEquals(0, Ratio.Spread.of(1.03).spreadPct(), EPS);
  }

  @Test
  void aSpreadOverFivePercentIsWideAndSaysSo() {
    Ratio.Spread narrow = Ratio.Spread.of(19, 20, 21);
    Ratio.Spread wide = Ratio.Spread.of(1.03, 1.31, 1.10);
    assertFalse(narrow.wide(), "±5% exactly is not over the bound");
    assertTrue(Ratio.Spread.of(18.99, 20, 20).wide());
    assertTrue(wide.wide());
    assertFalse(narrow.line("x randread").contains("SPREAD WIDE"));
    assertTrue(wide.line("x randread").contains("SPREAD WIDE"));
  }

  @Test
  void theLineAndTheResultEntriesCarryMedianAndSpread() {
    Ratio.Spread s = Ratio.Spread.of(1.290, 1.312, 1.335, 1.300, 1.320, 1.310, 1.315);
    assertEquals("  nbd_over_nbdkit randread: median 1.312 (min 1.290, max 1.335, spread ±1.8%, 7 slices)",
        s.line("nbd_over_nbdkit randread"));
    assertEquals("nbd_over_nbdkit=1.312 nbd_over_nbdkit_spread_pct=1.8", s.result("nbd_over_nbdkit"));
  }

  @Test
  void theWorstOfSeveralIsTheLowestMedianBetweenTheLowestMinAndTheLowestMax() {
    Ratio.Spread read = Ratio.Spread.of(1.20, 1.25, 1.30);
    Ratio.Spread write = Ratio.Spread.of(0.90, 1.10, 1.28);
    assertSpread(1.10, 0.90, 1.28, 3, Ratio.Spread.worst(read, write));
  }

  @Test
  void noSlicesIsAnError() {
    assertThrows(IllegalArgumentException.class, Ratio.Spread::of);
    assertThrows(IllegalArgumentException.class, () -> new Ratio.Plan(0, 1));
    assertThrows(IllegalArgumentException.class, () -> new Ratio.Plan(3, 0));
  }

  @Test
  void slicesAlternateWhichSideRunsFirstAfterAWarmUpOfEach() throws Exception {
    List<String> runs = new ArrayList<>();
    // A runs 10% faster in slices 0 and 2, 30% in slice 1: the median is 1.1
    double[] aIops = {0, 110, 130, 110};
    int[] aCalls = {0};
    Subject a = (rw, secs) -> {
      runs.add("A " + secs);
      return aIops[aCalls[0]++];
    };
    Subject b = (rw, secs) -> {
      runs.add("B " + secs);
      return 100;
    };
    Ratio.Spread s = Ratio.compare("a_over_b", a, b, "randread", new Ratio.Plan(3, 1.5));
    assertEquals(List.of("A 1.5", "B 1.5", "A 1.5", "B 1.5", "B 1.5", "A 1.5", "A 1.5", "B 1.5"), runs);
    assertSpread(1.1, 1.1, 1.3, 3, s);
  }

  private static void assertSpread(double median, double min, double max, int slices, Ratio.Spread actual) {
    assertEquals(median, actual.median(), EPS, "median");
    assertEquals(min, actual.min(), EPS, "min");
    assertEquals(max, actual.max(), EPS, "max");
    assertEquals(slices, actual.slices(), "slices");
  }
}
