package io.caspian.control.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.caspian.control.reconciler.ReportedChildren.Change;
import io.caspian.control.reconciler.ReportedChildren.RebuildStarted;
import io.caspian.control.reconciler.ReportedChildren.StateChanged;
import io.caspian.events.ChildState;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BusGraceTest {
    private static final Change ONLINE = new StateChanged("nvmf://h/r1", ChildState.ONLINE, "");
    private static final Change STARTED = new RebuildStarted("nvmf://h/r1");

    private final ManualClock clock = new ManualClock();
    private final BusGrace grace = new BusGrace(clock, Duration.ofSeconds(30));

    @Test
    void aChangeTheBusDoesNotBringIsDueAfterTheGraceFromItsFirstSight() {
        assertEquals(List.of(), grace.due("n1", List.of(ONLINE)));
        clock.advance(Duration.ofSeconds(29));
        assertEquals(List.of(), grace.due("n1", List.of(ONLINE, STARTED)));
        clock.advance(Duration.ofSeconds(1));
        assertEquals(List.of(ONLINE), grace.due("n1", List.of(ONLINE, STARTED)), "STARTED was first seen 1 s ago");
        clock.advance(Duration.ofSeconds(29));
        assertEquals(List.of(STARTED), grace.due("n1", List.of(STARTED)));
    }

    @Test
    void aChangeTheBusDeliveredIsForgottenAndWaitsAgainIfShownAgain() {
        assertEquals(List.of(), grace.due("n1", List.of(ONLINE)));
        clock.advance(Duration.ofSeconds(20));
        assertEquals(List.of(), grace.due("n1", List.of()), "the bus delivered it: the report no longer shows it");
        clock.advance(Duration.ofSeconds(20));
        assertEquals(List.of(), grace.due("n1", List.of(ONLINE)), "shown again: a new wait");
        clock.advance(Duration.ofSeconds(29));
        assertEquals(List.of(), grace.due("n1", List.of(ONLINE)));
    }

    @Test
    void aNexusThatWentStartsItsWaitsAfresh() {
        assertEquals(List.of(), grace.due("n1", List.of(ONLINE)));
        clock.advance(Duration.ofSeconds(29));
        grace.forget("n1");
        clock.advance(Duration.ofSeconds(1));
        assertEquals(List.of(), grace.due("n1", List.of(ONLINE)), "a nexus of the same id, published again");
        clock.advance(Duration.ofSeconds(30));
        assertEquals(List.of(ONLINE), grace.due("n1", List.of(ONLINE)));
    }

    @Test
    void nexusesWaitApart() {
        assertEquals(List.of(), grace.due("n1", List.of(ONLINE)));
        clock.advance(Duration.ofSeconds(30));
        assertEquals(List.of(), grace.due("n2", List.of(ONLINE)));
        assertEquals(List.of(ONLINE), grace.due("n1", List.of(ONLINE)));
    }
}
