package io.caspian.control.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FaultedChildWaitTest {
    private final ManualClock clock = new ManualClock();
    private final FaultedChildWait wait = new FaultedChildWait(clock, Duration.ofSeconds(30));

    @Test
    void aFaultedChildWaitsItsPeriodFromFirstSightThenIsReplaced() {
        assertTrue(wait.waiting("v1", "r1"));
        clock.advance(Duration.ofSeconds(29));
        assertTrue(wait.waiting("v1", "r1"));
        // A second child faulted later has its own clock.
        assertTrue(wait.waiting("v1", "r2"));
        clock.advance(Duration.ofSeconds(1));
        assertFalse(wait.waiting("v1", "r1"));
        assertTrue(wait.waiting("v1", "r2"));
    }

    @Test
    void itIsAskedBackAtOnceThenAtMostEveryThirdOfTheWait() {
        wait.waiting("v1", "u");
        assertTrue(wait.askBackNow("v1", "u"));
        clock.advance(Duration.ofSeconds(9));
        assertFalse(wait.askBackNow("v1", "u"));
        clock.advance(Duration.ofSeconds(1));
        assertTrue(wait.askBackNow("v1", "u"));
        assertFalse(wait.askBackNow("v1", "u"));
        // Never asked for a child that is not waiting.
        assertFalse(wait.askBackNow("v1", "other"));
    }

    @Test
    void aChildThatRecoversStartsAfreshAndADeletedVolumeLeavesNothing() {
        wait.waiting("v1", "u");
        clock.advance(Duration.ofSeconds(40));
        assertFalse(wait.waiting("v1", "u"));
        wait.retain("v1", Set.of());
        assertEquals(0, wait.volumesTracked());
        assertTrue(wait.waiting("v1", "u"), "faulted again after recovering: a new wait");
        wait.waiting("v2", "u");
        wait.forget("v1");
        wait.forget("v2");
        assertEquals(0, wait.volumesTracked());
    }

    @Test
    void noWaitReplacesAtOnceAndKeepsNoState() {
        FaultedChildWait none = new FaultedChildWait(clock, Duration.ZERO);
        assertFalse(none.waiting("v1", "u"));
        assertEquals(0, none.volumesTracked());
    }
}
