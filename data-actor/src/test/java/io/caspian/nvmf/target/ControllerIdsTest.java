package io.caspian.nvmf.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Controller ids of separate targets of one subsystem (a failed-over volume) must not start at the same id. */
class ControllerIdsTest {

  @Test
  void randomFirstIdCoversTheWholeRange() {
    Random r = new Random(42);
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      int id = NvmfTarget.randomFirstControllerId(r);
      assertTrue(id >= 1 && id <= NvmfTarget.MAX_CNTLID, "id " + id);
      seen.add(id);
    }
    assertTrue(seen.size() > 9_000, "spread over the range, not clustered: " + seen.size());
    Random top = new Random() {
      @Override
      public int nextInt(int bound) {
        return bound - 1;
      }
    };
    assertEquals(NvmfTarget.MAX_CNTLID, NvmfTarget.randomFirstControllerId(top),
        "the top of the range is reachable");
  }

  @Test
  void twoTargetsStartAtDifferentIds() throws Exception {
    // Random starts: the same first id for all of five targets has probability 65519^-4.
    Set<Integer> firsts = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      try (NvmfTarget t = NvmfTarget.bind("127.0.0.1", 0)) {
        int id = t.nextControllerId();
        assertTrue(id >= 1 && id <= NvmfTarget.MAX_CNTLID, "id " + id);
        firsts.add(id);
      }
    }
    assertTrue(firsts.size() > 1, "every target started at " + firsts);
  }

  @Test
  void idsCountUpFromTheStartAndWrapSkippingNone() {
    Exports e = new Exports(TargetConfig.defaults());
    e.cntlidRange(1, NvmfTarget.MAX_CNTLID, NvmfTarget.MAX_CNTLID);
    assertEquals(NvmfTarget.MAX_CNTLID, e.nextCntlid());
    e.cntlidRange(1, NvmfTarget.MAX_CNTLID, 7);
    assertEquals(7, e.nextCntlid());
  }

  @Test
  void aConfiguredRangeStartsAtItsMinimum() throws Exception {
    try (NvmfTarget t = NvmfTarget.bind("127.0.0.1", 0)) {
      t.controllerIds(1000, 1999);
      assertEquals(1000, t.nextControllerId());
    }
  }
}
