package io.caspian.control.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.observed.ReportChange;
import io.caspian.control.reconciler.Reconciler.Work;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReconcilerWorkTest {
    @Test
    void reportsVolumesAndTicksMergeUntilASweepCoversThemAll() {
        Work w = Work.NONE.volume("v1").report(new ReportChange(false, Set.of("n1"), Set.of("r1")))
                .report(new ReportChange(false, Set.of("n2"), Set.of())).tick();
        assertEquals(new Work(false, true, Set.of("v1"), Set.of("n1", "n2"), Set.of("r1")), w);
        assertEquals(Work.SWEEP, w.report(new ReportChange(true, Set.of(), Set.of())));
        assertEquals(Work.SWEEP, Work.SWEEP.volume("v2").tick()
                .report(new ReportChange(false, Set.of("n3"), Set.of())));
        assertTrue(Work.NONE.isEmpty());
        assertTrue(Work.NONE.report(new ReportChange(false, Set.of(), Set.of())).isEmpty());
        assertFalse(Work.NONE.tick().isEmpty());
    }

    @Test
    void theSafetySweepPagesRoundRobin() {
        List<String> ids = List.of("a", "b", "c", "d", "e");
        assertEquals(List.of("a", "b"), Reconciler.page(ids, "", 2));
        assertEquals(List.of("c", "d"), Reconciler.page(ids, "b", 2));
        assertEquals(List.of("e", "a"), Reconciler.page(ids, "d", 2), "wraps around");
        // The cursor's volume was deleted meanwhile: the page goes on from the next id.
        assertEquals(List.of("d", "e"), Reconciler.page(ids, "c0", 2));
        assertEquals(ids, Reconciler.page(ids, "c", 5), "a page as large as the list is the whole list");
    }
}
