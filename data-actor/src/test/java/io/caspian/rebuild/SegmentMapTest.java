package io.caspian.rebuild;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SegmentMapTest {

  @Test
  void marksEverySegmentARangeTouchesAndFindsThemInOrder() {
    SegmentMap m = new SegmentMap(10 * 65536 + 4096, 65536);
    assertEquals(11, m.segments());
    assertEquals(4096, m.lengthOf(10));
    m.mark(65536 - 512, 1024); // straddles segments 0 and 1
    m.mark(10 * 65536, 512);
    assertEquals(0, m.nextDirty(0));
    assertEquals(1, m.nextDirty(1));
    assertEquals(10, m.nextDirty(2));
    assertEquals(-1, m.nextDirty(11));
    assertEquals(3, m.dirtyCount());
    assertEquals(2 * 65536 + 4096, m.dirtyBytes());
    m.clear(1);
    assertFalse(m.isDirty(1));
    assertTrue(m.isDirty(0));
  }

  @Test
  void markAllCoversTheLastPartialSegmentAndNothingBeyond() {
    SegmentMap m = new SegmentMap(130L * 65536, 65536);
    m.markAll();
    assertEquals(130, m.dirtyCount());
    assertEquals(129, m.nextDirty(129));
    assertEquals(-1, m.nextDirty(130));
    m.clearAll();
    assertEquals(-1, m.nextDirty(0));
  }
}
