package io.caspian.control.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.caspian.control.service.VolumeStatsService.Rates;
import io.caspian.events.ioengine.NexusStats;
import org.junit.jupiter.api.Test;

class StatsHistoryTest {
    private final StatsHistory history = new StatsHistory();

    private static NexusStats counters(long reads, long writes) {
        return new NexusStats("n", reads, reads * 4096, reads * 10, writes, writes * 8192, writes * 20);
    }

    @Test
    void ratesAreTheCountersDeltaOverTheTimeBetweenTwoReads() {
        assertNull(history.record("v", "a", 10_000, counters(100, 10)), "no previous read");
        assertEquals(new Rates(50, 20, 50 * 4096, 20 * 8192), history.record("v", "a", 12_000, counters(200, 50)));
    }

    @Test
    void aReadTooSoonHasNoRatesAndKeepsTheEarlierBaseline() {
        history.record("v", "a", 10_000, counters(0, 0));
        assertNull(history.record("v", "a", 10_199, counters(10, 10)));
        assertEquals(new Rates(100, 100, 100 * 4096, 100 * 8192), history.record("v", "a", 10_200, counters(20, 20)));
    }

    @Test
    void aReadTooLateHasNoRatesButBecomesTheBaseline() {
        history.record("v", "a", 0, counters(0, 0));
        assertNull(history.record("v", "a", 60_001, counters(10, 0)));
        assertEquals(new Rates(10, 0, 40_960, 0), history.record("v", "a", 61_001, counters(20, 0)));
        assertEquals(new Rates(0, 0, 0, 0), history.record("v", "a", 121_001, counters(20, 0)), "60 s is in");
    }

    @Test
    void noRatesAcrossAMoveOrARestartOfTheNexus() {
        history.record("v", "a", 0, counters(100, 100));
        assertNull(history.record("v", "b", 1_000, counters(200, 200)), "nexus moved to another node");
        assertNull(history.record("v", "b", 2_000, counters(5, 5)), "counters went back: the nexus reopened");
        assertEquals(new Rates(1, 1, 4096, 8192), history.record("v", "b", 3_000, counters(6, 6)));
    }

    @Test
    void volumesHaveTheirOwnBaselines() {
        history.record("v", "a", 0, counters(0, 0));
        history.record("w", "a", 500, counters(1000, 0));
        assertEquals(new Rates(10, 0, 40_960, 0), history.record("v", "a", 1_000, counters(10, 0)));
        assertEquals(new Rates(0, 0, 0, 0), history.record("w", "a", 1_500, counters(1000, 0)));
    }
}
