package io.caspian.projections.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.projections.audit.Cursor;
import io.caspian.projections.audit.EventQuery;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventQueryParamsTest {
    private final Clock clock = Clock.fixed(Instant.parse("2026-01-31T12:00:00Z"), ZoneOffset.UTC);

    @Test
    void readsEveryParameter() {
        String cursor = new Cursor(5, 7).encode();
        EventQuery q = EventQueryParams.parse(Map.of("volume", "v", "node", "n", "entity", "e",
                "type", "ChildFaulted, ChildOnline", "since", "1h", "until", "2026-01-31T11:30:00Z", "limit", "10",
                "order", "desc", "cursor", cursor), clock);
        assertEquals(new EventQuery("v", "n", "e", List.of("ChildFaulted", "ChildOnline"),
                Instant.parse("2026-01-31T11:00:00Z").toEpochMilli(),
                Instant.parse("2026-01-31T11:30:00Z").toEpochMilli(), 10, true, new Cursor(5, 7)), q);
    }

    @Test
    void defaultsToTheFirstHundredOldestFirst() {
        EventQuery q = EventQueryParams.parse(Map.of(), clock);
        assertEquals(100, q.limit());
        assertEquals(false, q.newestFirst());
    }

    @Test
    void badParametersAreNamed() {
        assertMessage("limit", Map.of("limit", "0"));
        assertMessage("limit", Map.of("limit", "1001"));
        assertMessage("limit", Map.of("limit", "ten"));
        assertMessage("order", Map.of("order", "sideways"));
        assertMessage("since", Map.of("since", "yesterday"));
        assertMessage("cursor", Map.of("cursor", "bm9wZQ"));
        assertMessage("since must be before until", Map.of("since", "1h", "until", "2h"));
        assertMessage("unknown parameter 'volumes'", Map.of("volumes", "x"));
    }

    private void assertMessage(String fragment, Map<String, String> params) {
        var e = assertThrows(IllegalArgumentException.class, () -> EventQueryParams.parse(params, clock));
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }
}
