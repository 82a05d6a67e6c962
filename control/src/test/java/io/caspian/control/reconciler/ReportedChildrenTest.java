package io.caspian.control.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.entity.Lifecycle;
import io.caspian.control.entity.nexus.BusMark;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.nexus.RebuildResult;
import io.caspian.control.reconciler.ReportedChildren.RebuildFinished;
import io.caspian.control.reconciler.ReportedChildren.RebuildStarted;
import io.caspian.control.reconciler.ReportedChildren.StateChanged;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.ChildInfo;
import io.caspian.events.ioengine.NexusInfo;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReportedChildrenTest {
    private static final String KEPT = "bdev:///kept";
    private static final String NEW = "nvmf://h2:4420/nqn:new";

    /** The journal's view: the kept child in sync, the new one added out of sync, a rebuild onto it journaled or not. */
    private static NexusState known(ChildState newChild, boolean rebuilding) {
        return new NexusState("n", Lifecycle.ACTIVE, "node-1", 1 << 20, "v",
                List.of(new Child(KEPT, "k", ChildState.ONLINE, ""), new Child(NEW, "r", newChild, "new replica")),
                Protocol.NVMF, "nvmf://x", Health.DEGRADED, Map.<String, BusMark>of(),
                rebuilding ? Set.of(NEW) : Set.of(), 0);
    }

    private static NexusInfo reported(ChildState newChild, int progress) {
        return new NexusInfo("n", 1 << 20, Health.DEGRADED, Protocol.NVMF, "nvmf://x",
                List.of(new ChildInfo(KEPT, ChildState.ONLINE, "", -1), new ChildInfo(NEW, newChild, "", progress)), 3, 0);
    }

    @Test
    void aReportShowsRebuildsAndReturnsToSync() {
        assertEquals(List.of(new RebuildStarted(NEW)),
                ReportedChildren.of(known(ChildState.DEGRADED, false), reported(ChildState.DEGRADED, 40)));
        assertEquals(List.of(new RebuildFinished(NEW, RebuildResult.COMPLETED),
                        new StateChanged(NEW, ChildState.ONLINE, "")),
                ReportedChildren.of(known(ChildState.DEGRADED, true), reported(ChildState.ONLINE, -1)));
        // The rebuild of a small replica can start and finish between two reports.
        assertEquals(List.of(new StateChanged(NEW, ChildState.ONLINE, "")),
                ReportedChildren.of(known(ChildState.DEGRADED, false), reported(ChildState.ONLINE, -1)));
    }

    @Test
    void onlyAFaultLeadsTheBus() {
        // Journaled ahead of the bus, these let its older records replay degraded, started, finished, online.
        assertFalse(ReportedChildren.leadsTheBus(new RebuildStarted(NEW)));
        assertFalse(ReportedChildren.leadsTheBus(new RebuildFinished(NEW, RebuildResult.COMPLETED)));
        assertFalse(ReportedChildren.leadsTheBus(new StateChanged(NEW, ChildState.ONLINE, "")));
        // A report taken before the bus delivered a rebuild's end would degrade the child with no record to follow.
        assertFalse(ReportedChildren.leadsTheBus(new StateChanged(NEW, ChildState.DEGRADED, "")));
        assertTrue(ReportedChildren.leadsTheBus(new StateChanged(NEW, ChildState.FAULTED, "io error")));
    }

    @Test
    void aFaultIsShownFromAnyState() {
        assertEquals(List.of(new StateChanged(NEW, ChildState.FAULTED, "")),
                ReportedChildren.of(known(ChildState.ONLINE, false), reported(ChildState.FAULTED, -1)));
        assertEquals(List.of(new StateChanged(NEW, ChildState.FAULTED, "")),
                ReportedChildren.of(known(ChildState.DEGRADED, false), reported(ChildState.FAULTED, -1)));
    }

    @Test
    void aReportCallingAFaultedChildOnlinePredatesTheFault() {
        assertEquals(List.of(),
                ReportedChildren.of(known(ChildState.FAULTED, false), reported(ChildState.ONLINE, -1)));
    }

    @Test
    void anUnknownStateOrAnUnknownChildChangesNothing() {
        assertEquals(List.of(),
                ReportedChildren.of(known(ChildState.ONLINE, false), reported(ChildState.UNKNOWN, -1)));
        NexusInfo stranger = new NexusInfo("n", 1 << 20, Health.ONLINE, Protocol.NVMF, "nvmf://x",
                List.of(new ChildInfo("bdev:///other", ChildState.FAULTED, "", -1)), 3, 0);
        assertEquals(List.of(), ReportedChildren.of(known(ChildState.ONLINE, false), stranger));
    }
}
