package io.caspian.projections.rest;

import io.caspian.projections.audit.Cursor;
import io.caspian.projections.audit.EventQuery;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code GET /v0/events} parameters. Times are ISO-8601 instants or an age such as {@code 90s}, {@code 15m},
 * {@code 1h}, {@code 7d} (that long before now); {@code type} is a comma-separated list of event types.
 */
public final class EventQueryParams {
    private static final Set<String> KNOWN = Set.of("volume", "node", "entity", "type", "since", "until", "limit",
            "cursor", "order");
    private static final Pattern AGE = Pattern.compile("(\\d{1,9})([smhd])");

    private EventQueryParams() {
    }

    /** @throws IllegalArgumentException naming the parameter and what was wrong with it */
    public static EventQuery parse(Map<String, String> p, Clock clock) {
        for (String k : p.keySet()) {
            if (!KNOWN.contains(k)) {
                throw new IllegalArgumentException("unknown parameter '" + k + "'; known are " + KNOWN);
            }
        }
        String order = p.getOrDefault("order", "asc");
        if (!order.equals("asc") && !order.equals("desc")) {
            throw new IllegalArgumentException("order must be asc or desc, got '" + order + "'");
        }
        List<String> types = p.containsKey("type") ? Arrays.stream(p.get("type").split(",")).map(String::trim)
                .filter(t -> !t.isEmpty()).toList() : List.of();
        Long since = time(p, "since", clock);
        Long until = time(p, "until", clock);
        if (since != null && until != null && since >= until) {
            throw new IllegalArgumentException("since must be before until");
        }
        return new EventQuery(blank(p.get("volume")), blank(p.get("node")), blank(p.get("entity")), types, since,
                until, limit(p.get("limit")), order.equals("desc"),
                p.containsKey("cursor") ? Cursor.decode(p.get("cursor")) : null);
    }

    private static int limit(String s) {
        if (s == null) {
            return EventQuery.DEFAULT_LIMIT;
        }
        try {
            int n = Integer.parseInt(s);
            if (n < 1 || n > EventQuery.MAX_LIMIT) {
                throw new IllegalArgumentException("limit must be between 1 and " + EventQuery.MAX_LIMIT
                        + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("limit must be a number, got '" + s + "'");
        }
    }

    private static Long time(Map<String, String> p, String name, Clock clock) {
        String s = p.get(name);
        if (s == null || s.isBlank()) {
            return null;
        }
        Matcher m = AGE.matcher(s.trim());
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            long unit = switch (m.group(2)) {
                case "s" -> 1_000L;
                case "m" -> 60_000L;
                case "h" -> 3_600_000L;
                default -> 86_400_000L;
            };
            return clock.millis() - n * unit;
        }
        try {
            return Instant.parse(s.trim()).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must be an ISO-8601 instant (2026-01-31T12:00:00Z) or an age "
                    + "(30s, 15m, 1h, 7d), got '" + s + "'");
        }
    }

    private static String blank(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
