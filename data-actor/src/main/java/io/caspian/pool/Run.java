package io.caspian.pool;

import java.util.ArrayList;
import java.util.List;

/**
 * A run of an extent map: {@code length} logical clusters from {@code logical} live in the
 * physical clusters from {@code physical}.
 */
record Run(int logical, int physical, int length) {

  /** Bytes a run takes on disk. */
  static final int BYTES = 12;

  /**
   * The maximal runs of an extent map, where {@code map[lc]} is the physical cluster plus one
   * (zero for unallocated).
   */
  static List<Run> of(int[] map, int clusters) {
    List<Run> runs = new ArrayList<>();
    int i = 0;
    while (i < clusters) {
      if (map[i] == 0) {
        i++;
        continue;
      }
      int start = i;
      while (i + 1 < clusters && map[i + 1] != 0 && map[i + 1] == map[i] + 1) {
        i++;
      }
      i++;
      runs.add(new Run(start, map[start] - 1, i - start));
    }
    return runs;
  }
}
