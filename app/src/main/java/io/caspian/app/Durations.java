package io.caspian.app;

import java.time.Duration;

/** Durations on the command line: {@code 30s}, {@code 500ms}, {@code 2m}, {@code 1h}; a bare number is seconds. */
final class Durations {
    private Durations() {
    }

    static Duration parse(String flag, String text) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        int i = 0;
        while (i < t.length() && Character.isDigit(t.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 12) {
            throw new UsageException("--" + flag + " must be a duration like 30s, 500ms, 2m, got '" + text + "'");
        }
        long n = Long.parseLong(t.substring(0, i));
        return switch (t.substring(i)) {
            case "", "s" -> Duration.ofSeconds(n);
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> throw new UsageException("--" + flag + " has an unknown unit in '" + text
                    + "' (ms, s, m or h)");
        };
    }
}
