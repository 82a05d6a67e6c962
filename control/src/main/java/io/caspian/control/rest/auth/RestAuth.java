package io.caspian.control.rest.auth;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether the REST API asks for a token, and which: from {@code caspian.control.rest.auth}. Each variant answers
 * the questions below itself, which is how Java 17 keeps the choice exhaustive without pattern switches.
 */
public sealed interface RestAuth {
    /** The name of the token file the control plane makes in its data directory when none is given. */
    String GENERATED_FILE = "rest-token";

    /** No token asked for: {@code mode = none}, for tests and a developer's machine only. */
    record Open() implements RestAuth {
        @Override
        public Optional<Tokens> tokens() {
            return Optional.empty();
        }

        @Override
        public Optional<Path> tokenFile() {
            return Optional.empty();
        }

        @Override
        public String describe() {
            return "no authentication (auth none): anyone who reaches the port may change everything";
        }
    }

    /**
     * A bearer token from {@code tokens} on every request but the health check. {@code file} is where they are;
     * {@code generated}: the control plane's own file under its data directory rather than one it was given.
     */
    record Bearer(Tokens accepted, Path file, boolean generated) implements RestAuth {
        @Override
        public Optional<Tokens> tokens() {
            return Optional.of(accepted);
        }

        @Override
        public Optional<Path> tokenFile() {
            return Optional.of(file);
        }

        @Override
        public String describe() {
            return "bearer token " + (generated ? "made for this data directory, " : "") + "in " + file;
        }
    }

    /** The tokens a request must show one of; empty: none asked for. */
    Optional<Tokens> tokens();

    /** Where the tokens are, for clients on the same machine (e.g. {@code caspian up}'s own); empty: none. */
    Optional<Path> tokenFile();

    /** For a log line or the start banner: how a client gets in. */
    String describe();

    /**
     * {@code auth} is the {@code caspian.control.rest.auth} block; a token file given there is read, else
     * {@code dataDir/rest-token} is read or made. A bad mode or an unreadable file fails the start.
     */
    static RestAuth fromConfig(Config auth, Path dataDir) {
        String mode = auth.getString("mode");
        return switch (mode) {
            case "none" -> new Open();
            case "token" -> {
                String given = auth.getString("token-file").strip();
                if (given.isEmpty()) {
                    Path file = dataDir.resolve(GENERATED_FILE).toAbsolutePath();
                    yield new Bearer(Tokens.of(TokenFile.readOrCreate(file)), file, true);
                }
                Path file = Path.of(given).toAbsolutePath();
                yield new Bearer(Tokens.of(TokenFile.read(file)), file, false);
            }
            default -> throw new IllegalArgumentException("caspian.control.rest.auth.mode must be token or none, got '"
                    + mode + "'");
        };
    }
}
