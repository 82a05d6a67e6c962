package io.caspian.app;

import java.util.Locale;

/** Byte sizes on the command line ({@code 64MiB}, {@code 1G}, {@code 4096}) and in tables. */
final class Sizes {
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

    private Sizes() {
    }

    static long parse(String flag, String s) {
        String t = s.trim().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
        long mult = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'k' -> mult = 1L << 10;
                case 'm' -> mult = 1L << 20;
                case 'g' -> mult = 1L << 30;
                case 't' -> mult = 1L << 40;
                default -> mult = 1;
            }
            if (mult > 1) {
                t = t.substring(0, t.length() - 1);
            }
        }
        try {
            long n = Long.parseLong(t.trim());
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(n, mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new UsageException("--" + flag + " must be a positive size like 64MiB, 1GiB or 4096, got '" + s + "'");
        }
    }

    static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + "B";
        }
        int u = 0;
        double v = bytes;
        while (v >= 1024 && u < UNITS.length - 1) {
            v /= 1024;
            u++;
        }
        return v == Math.rint(v) ? (long) v + UNITS[u] : String.format(Locale.ROOT, "%.1f%s", v, UNITS[u]);
    }
}
