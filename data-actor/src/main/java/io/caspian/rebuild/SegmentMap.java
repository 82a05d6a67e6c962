package io.caspian.rebuild;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One bit per segment of a device: set means the segment may differ from the in-sync children and
 * must be copied before the device may serve reads. Marking is lock-free and allocation-free, so
 * the write path can record what a child out of the write set misses.
 */
public final class SegmentMap {

  /** The rebuild unit, as in Mayastor: 64 KiB. */
  public static final int DEFAULT_SEGMENT_SIZE = 64 * 1024;

  private final long deviceSize;
  private final int segmentSize;
  private final long segments;
  private final AtomicLongArray bits;

  public SegmentMap(long deviceSize, int segmentSize) {
    if (deviceSize <= 0 || segmentSize <= 0 || Integer.bitCount(segmentSize) != 1) {
      throw new IllegalArgumentException("segment map needs a positive size and a power-of-two "
          + "segment size, not " + deviceSize + " / " + segmentSize);
    }
    this.deviceSize = deviceSize;
    this.segmentSize = segmentSize;
    this.segments = (deviceSize + segmentSize - 1) / segmentSize;
    if (segments > (long) Integer.MAX_VALUE * 64) {
      throw new IllegalArgumentException("device of " + deviceSize + " bytes has too many segments");
    }
    this.bits = new AtomicLongArray((int) ((segments + 63) >>> 6));
  }

  public long deviceSize() {
    return deviceSize;
  }

  public int segmentSize() {
    return segmentSize;
  }

  public long segments() {
    return segments;
  }

  /** Byte offset of segment {@code seg}. */
  public long offsetOf(long seg) {
    return seg * segmentSize;
  }

  /** Length in bytes of segment {@code seg}; the last one may be short. */
  public int lengthOf(long seg) {
    return (int) Math.min(segmentSize, deviceSize - seg * segmentSize);
  }

  /** Marks every segment overlapping {@code [offset, offset + length)}. */
  public void mark(long offset, long length) {
    if (length <= 0) {
      return;
    }
    long first = offset / segmentSize;
    long last = Math.min(segments - 1, (offset + length - 1) / segmentSize);
    for (long s = first; s <= last; s++) {
      int w = (int) (s >>> 6);
      long bit = 1L << (s & 63);
      if ((bits.get(w) & bit) == 0) {
        bits.getAndAccumulate(w, bit, (a, b) -> a | b);
      }
    }
  }

  public void markAll() {
    mark(0, deviceSize);
  }

  public void clear(long seg) {
    int w = (int) (seg >>> 6);
    long bit = 1L << (seg & 63);
    bits.getAndAccumulate(w, ~bit, (a, b) -> a & b);
  }

  public void clearAll() {
    for (int i = 0; i < bits.length(); i++) {
      bits.set(i, 0);
    }
  }

  public boolean isDirty(long seg) {
    return (bits.get((int) (seg >>> 6)) & (1L << (seg & 63))) != 0;
  }

  /** The first marked segment at or after {@code from}, or -1. */
  public long nextDirty(long from) {
    if (from >= segments) {
      return -1;
    }
    int w = (int) (from >>> 6);
    long word = bits.get(w) & (-1L << (from & 63));
    while (true) {
      if (word != 0) {
        long s = ((long) w << 6) + Long.numberOfTrailingZeros(word);
        return s < segments ? s : -1;
      }
      if (++w >= bits.length()) {
        return -1;
      }
      word = bits.get(w);
    }
  }

  /** How many segments are marked. */
  public long dirtyCount() {
    long n = 0;
    for (int i = 0; i < bits.length(); i++) {
      n += Long.bitCount(bits.get(i));
    }
    return n;
  }

  /** How many bytes the marked segments cover. */
  public long dirtyBytes() {
    long bytes = 0;
    for (long s = nextDirty(0); s >= 0; s = nextDirty(s + 1)) {
      bytes += lengthOf(s);
    }
    return bytes;
  }
}
