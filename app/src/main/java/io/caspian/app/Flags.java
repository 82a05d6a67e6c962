package io.caspian.app;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed command line: {@code --name value}, {@code --name=value}, boolean {@code --name}, and positional words;
 * {@code -o} is {@code --output} and {@code -q} is {@code --quiet}.
 * Each sub-command declares which flags it takes, so a misspelt flag is an error rather than silently ignored.
 */
final class Flags {
    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();

    private Flags() {
    }

    /**
     * @param valued  flags that take a value (possibly repeated)
     * @param switches flags that take none
     */
    static Flags parse(List<String> args, Set<String> valued, Set<String> switches) {
        Flags f = new Flags();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--") || a.equals("--")) {
                if (a.equals("-o")) {
                    a = "--output";
                } else if (a.equals("-q")) {
                    a = "--quiet";
                } else {
                    f.positional.add(a);
                    continue;
                }
            }
            String name = a.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (switches.contains(name)) {
                if (value != null) {
                    throw new UsageException("--" + name + " takes no value");
                }
                f.values.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.size()) {
                        throw new UsageException("--" + name + " needs a value");
                    }
                    value = args.get(++i);
                }
                f.values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else {
                throw new UsageException("unknown flag --" + name);
            }
        }
        return f;
    }

    List<String> positional() {
        return positional;
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    /** The last value given for {@code name}. */
    Optional<String> get(String name) {
        List<String> v = values.get(name);
        return v == null ? Optional.empty() : Optional.of(v.get(v.size() - 1));
    }

    String get(String name, String dflt) {
        return get(name).orElse(dflt);
    }

    List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    int integer(String name, int dflt, int min, int max) {
        Optional<String> v = get(name);
        if (v.isEmpty()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.get().trim());
            if (n < min || n > max) {
                throw new UsageException("--" + name + " must be between " + min + " and " + max + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a whole number, got '" + v.get() + "'");
        }
    }

    /** Parses {@code host:port}; the host must not be empty and the port must be 0..65535. */
    static HostPort hostPort(String flag, String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new UsageException("--" + flag + " must be host:port, got '" + value + "'");
        }
        String host = value.substring(0, colon);
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new HostPort(host, port);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + flag + " has a bad port in '" + value + "'");
        }
    }

    record HostPort(String host, int port) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }
}
