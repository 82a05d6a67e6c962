package io.caspian.nexus.intent;

import java.util.Arrays;
import java.util.List;

/**
 * One state of a write-intent log: which nexus and volume it belongs to, its members, and the
 * regions that may differ between them (bit {@code r} of {@code bitmap}: region {@code r}).
 *
 * @param sequence grows by one with every write; the newer valid slot wins on load
 */
public record LogImage(String nexusUuid, long volumeSize, int regionSize, long sequence,
    List<Member> members, long[] bitmap) {

  public LogImage {
    if (nexusUuid == null || volumeSize <= 0 || regionSize <= 0) {
      throw new IllegalArgumentException("a log image needs a uuid, a volume size and a region size");
    }
    members = List.copyOf(members);
    if (bitmap.length != words(regionCount(volumeSize, regionSize))) {
      throw new IllegalArgumentException("bitmap of " + bitmap.length + " words for "
          + regionCount(volumeSize, regionSize) + " regions");
    }
  }

  public static int regionCount(long volumeSize, int regionSize) {
    return (int) ((volumeSize + regionSize - 1) / regionSize);
  }

  public static int words(int regions) {
    return (regions + 63) >>> 6;
  }

  public int regionCount() {
    return regionCount(volumeSize, regionSize);
  }

  public boolean dirty(int region) {
    return (bitmap[region >>> 6] & (1L << (region & 63))) != 0;
  }

  public int dirtyCount() {
    int n = 0;
    for (long w : bitmap) {
      n += Long.bitCount(w);
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LogImage i && i.nexusUuid.equals(nexusUuid) && i.volumeSize == volumeSize
        && i.regionSize == regionSize && i.sequence == sequence && i.members.equals(members)
        && Arrays.equals(i.bitmap, bitmap);
  }

  @Override
  public int hashCode() {
    return 31 * nexusUuid.hashCode() + Long.hashCode(sequence);
  }

  @Override
  public String toString() {
    return "LogImage[" + nexusUuid + ", " + volumeSize + " bytes, regions of " + regionSize
        + ", seq " + sequence + ", members " + members + ", " + dirtyCount() + " dirty]";
  }
}
