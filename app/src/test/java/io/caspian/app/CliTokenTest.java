package io.caspian.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTokenTest {
    @TempDir
    Path home;
    @TempDir
    Path work;

    private Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text);
    }

    private Optional<CliToken.Found> find(Optional<String> flag, Map<String, String> env) {
        return CliToken.find(flag, env, home, work);
    }

    @Test
    void theEnvironmentWinsThenTheFlagThenTheConfigFileThenUpsDataDirectory() throws IOException {
        Path upToken = write(work.resolve("data").resolve("rest-token"), "from-up\n");
        assertEquals(new CliToken.Found("from-up", upToken.toString()), find(Optional.empty(), Map.of()).orElseThrow());
        Path config = write(home.resolve(".config/caspian/token"), "# mine\nfrom-config\n");
        assertEquals("from-config", find(Optional.empty(), Map.of()).orElseThrow().token());
        assertEquals(config.toString(), find(Optional.empty(), Map.of()).orElseThrow().source());
        Path flag = write(work.resolve("flag-token"), "from-flag\n");
        assertEquals("from-flag", find(Optional.of(flag.toString()), Map.of()).orElseThrow().token());
        CliToken.Found env = find(Optional.of(flag.toString()), Map.of("CASPIAN_TOKEN", " from-env ")).orElseThrow();
        assertEquals(new CliToken.Found("from-env", "$CASPIAN_TOKEN"), env);
        assertEquals("$CASPIAN_TOKEN", env.toString(), "a Found shows where, never the token");
    }

    @Test
    void xdgConfigHomeMovesTheConfigFile() throws IOException {
        Path xdg = home.resolve("xdg");
        write(xdg.resolve("caspian/token"), "from-xdg\n");
        write(home.resolve(".config/caspian/token"), "not-this-one\n");
        Map<String, String> env = Map.of("XDG_CONFIG_HOME", xdg.toString());
        assertEquals("from-xdg", find(Optional.empty(), env).orElseThrow().token());
        assertTrue(CliToken.lookedIn(env, home, work).contains(xdg.resolve("caspian/token").toString()));
    }

    @Test
    void nothingFoundIsNoTokenAndAMissingFlagFileIsAUsageError() {
        assertEquals(Optional.empty(), find(Optional.empty(), Map.of("CASPIAN_TOKEN", " ")));
        assertThrows(UsageException.class, () -> find(Optional.of(work.resolve("absent").toString()), Map.of()));
        String places = CliToken.lookedIn(Map.of(), home, work);
        assertTrue(places.startsWith("$CASPIAN_TOKEN, --token-file, " + home.resolve(".config/caspian/token")),
                places);
        assertTrue(places.endsWith(work.resolve("data/rest-token").toString()), places);
    }
}
