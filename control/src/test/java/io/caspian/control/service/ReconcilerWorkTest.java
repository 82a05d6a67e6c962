package io.caspian.control.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.observed.ReportChange;
import io.caspian.control.service.Reconciler.Work;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReconcilerWorkTest {
    @Test
    void reportsAndVolumesMergeUntilASweepCoversThemAll() {
        Work w = Work.NONE.volume("v1").report(new ReportChange(false, Set.of("n1"), Set.of("r1")))
                .report(new ReportChange(false, Set.of("n2"), Set.of()));
        assertEquals(new Work(false, Set.of("v1"), Set.of("n1", "n2"), Set.of("r1")), w);
        assertEquals(Work.SWEEP, w.report(new ReportChange(true, Set.of(), Set.of())));
        assertEquals(Work.SWEEP, Work.SWEEP.volume("v2").report(new ReportChange(false, Set.of("n3"), Set.of())));
        assertTrue(Work.NONE.isEmpty());
        assertTrue(Work.NONE.report(new ReportChange(false, Set.of(), Set.of())).isEmpty());
    }
}
