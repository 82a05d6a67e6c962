package io.caspian.pool;

/** Which physical clusters are in use. Not thread-safe: the metadata writer owns it. */
final class ClusterBitmap {

  private final long[] words;
  private final int count;
  private int used;

  ClusterBitmap(int count) {
    this.count = count;
    this.words = new long[(count + 63) >>> 6];
  }

  int count() {
    return count;
  }

  int used() {
    return used;
  }

  int free() {
    return count - used;
  }

  boolean get(int c) {
    return (words[c >>> 6] & (1L << c)) != 0;
  }

  void set(int c) {
    words[c >>> 6] |= 1L << c;
    used++;
  }

  void clear(int c) {
    words[c >>> 6] &= ~(1L << c);
    used--;
  }

  /** The first free cluster at or after {@code from}, wrapping around; -1 when none is free. */
  int nextFree(int from) {
    int c = scan(from, count);
    return c >= 0 ? c : scan(0, Math.min(from, count));
  }

  private int scan(int from, int to) {
    int c = from;
    while (c < to) {
      long w = ~words[c >>> 6] & (-1L << c);
      if (w != 0) {
        int found = ((c >>> 6) << 6) + Long.numberOfTrailingZeros(w);
        return found < to ? found : -1;
      }
      c = ((c >>> 6) + 1) << 6;
    }
    return -1;
  }
}
