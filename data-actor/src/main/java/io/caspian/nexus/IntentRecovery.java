package io.caspian.nexus;

import io.caspian.nexus.intent.LogImage;
import io.caspian.nexus.intent.LogLoad;
import io.caspian.nexus.intent.Member;
import io.caspian.nexus.intent.WriteIntentLog;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * What a nexus created over an existing write-intent log may believe: the regions in which its
 * children may differ, and which recorded members differ from the others only there.
 *
 * @param dirty region bitmap to resync (all regions when the log cannot be trusted)
 * @param complete members that need only the dirty regions; the given children not in it (but the
 *     source) are rebuilt in full, and so are returning children not in it
 * @param fresh no log existed: the caller's word that the children are equal is all there is
 * @param lastSequence the loaded image's sequence, 0 for none; the next write follows it
 * @param note why the log was not used as it stood, for the operator; null when it was
 */
record IntentRecovery(int regionSize, long[] dirty, Set<String> complete, boolean fresh,
    long lastSequence, String note) {

  static IntentRecovery of(LogLoad load, String uuid, long size) {
    int regionSize = WriteIntentLog.regionSizeFor(size);
    int regions = LogImage.regionCount(size, regionSize);
    // Java 17 has no patterns in switch: the chain covers the three permitted records.
    if (load instanceof LogLoad.Absent) {
      return new IntentRecovery(regionSize, new long[LogImage.words(regions)], Set.of(), true, 0,
          null);
    }
    if (load instanceof LogLoad.Unusable u) {
      return everything(regionSize, regions, 0, u.why());
    }
    LogImage img = ((LogLoad.Loaded) load).image();
    if (!img.nexusUuid().equals(uuid) || img.volumeSize() != size
        || img.regionSize() != regionSize) {
      return everything(regionSize, regions, img.sequence(), "the log is of nexus "
          + img.nexusUuid() + " with " + img.volumeSize() + " bytes in regions of "
          + img.regionSize() + ", not of " + uuid + " with " + size + " in " + regionSize);
    }
    Set<String> complete = new HashSet<>();
    for (Member m : img.members()) {
      if (m.complete()) {
        complete.add(m.uri());
      }
    }
    return new IntentRecovery(regionSize, img.bitmap().clone(), Set.copyOf(complete), false,
        img.sequence(), null);
  }

  /** Trusts nothing: every region may differ and no member is known to need less than all. */
  private static IntentRecovery everything(int regionSize, int regions, long sequence,
      String why) {
    long[] all = new long[LogImage.words(regions)];
    Arrays.fill(all, -1L);
    if ((regions & 63) != 0) {
      all[all.length - 1] = (1L << (regions & 63)) - 1;
    }
    return new IntentRecovery(regionSize, all, Set.of(), false, sequence,
        why + "; treating every region as dirty");
  }
}
