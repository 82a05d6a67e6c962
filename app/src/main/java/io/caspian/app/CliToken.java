package io.caspian.app;

import io.caspian.control.rest.auth.TokenFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the CLI finds the REST API's token, first found wins: {@code $CASPIAN_TOKEN}; {@code --token-file}; the
 * config file {@code $XDG_CONFIG_HOME/caspian/token} (else {@code ~/.config/caspian/token}); then
 * {@code ./data/rest-token}, the file {@code caspian up} makes in its default data directory, so that {@code up}
 * and the CLI in the same directory need no setup. A token file's first token is the one sent.
 */
final class CliToken {
    static final String ENV = "CASPIAN_TOKEN";

    /** A token and where it came from, for the message of a 401. */
    record Found(String token, String source) {
        @Override
        public String toString() {
            return source; // never the token, should a record end up in a message
        }
    }

    private CliToken() {
    }

    /** The first token of the places above; {@code tokenFile} is {@code --token-file}, which must exist if given. */
    static Optional<Found> find(Optional<String> tokenFile, Map<String, String> env, Path home, Path workDir) {
        String fromEnv = env.getOrDefault(ENV, "").strip();
        if (!fromEnv.isEmpty()) {
            return Optional.of(new Found(fromEnv, "$" + ENV));
        }
        if (tokenFile.isPresent()) {
            Path p = Path.of(tokenFile.get());
            if (!Files.isRegularFile(p)) {
                throw new UsageException("--token-file " + p + ": no such file");
            }
            return Optional.of(read(p));
        }
        for (Path p : defaults(env, home, workDir)) {
            if (Files.isRegularFile(p)) {
                return Optional.of(read(p));
            }
        }
        return Optional.empty();
    }

    /** Every place looked in, for a person told that the API wants a token. */
    static String lookedIn(Map<String, String> env, Path home, Path workDir) {
        List<String> places = new ArrayList<>(List.of("$" + ENV, "--token-file"));
        defaults(env, home, workDir).forEach(p -> places.add(p.toString()));
        return String.join(", ", places);
    }

    private static List<Path> defaults(Map<String, String> env, Path home, Path workDir) {
        String xdg = env.getOrDefault("XDG_CONFIG_HOME", "").strip();
        Path config = xdg.isEmpty() ? home.resolve(".config") : Path.of(xdg);
        return List.of(config.resolve("caspian").resolve("token"), workDir.resolve("data").resolve("rest-token"));
    }

    private static Found read(Path p) {
        try {
            return new Found(TokenFile.read(p).get(0), p.toString());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
