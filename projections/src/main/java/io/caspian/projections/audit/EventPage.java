package io.caspian.projections.audit;

import java.util.List;

/** One page of audit rows, in the query's order; {@code next} is null on the last page. */
public record EventPage(List<Stored> events, Cursor next) {
    public EventPage {
        events = List.copyOf(events);
    }

    /** An audit row as stored, with its row id. */
    public record Stored(long rowId, AuditRow row) {
    }
}
