package io.caspian.projections.audit;

import java.util.List;

/**
 * A query over {@code audit_events}: every non-null filter must hold ({@code types} is any-of, empty for all),
 * times are epoch milliseconds ({@code since} inclusive, {@code until} exclusive), {@code after} continues a
 * previous page.
 */
public record EventQuery(String volume, String node, String entity, List<String> types, Long since, Long until,
                         int limit, boolean newestFirst, Cursor after) {
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;

    public EventQuery {
        types = List.copyOf(types);
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
    }
}
