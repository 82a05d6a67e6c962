package io.caspian.control.rest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestAuthTest {
    @TempDir
    Path dir;

    private static Config auth(String mode, String tokenFile) {
        return ConfigFactory.parseMap(Map.of("mode", mode, "token-file", tokenFile));
    }

    @Test
    void byDefaultTheDataDirectoryGetsItsOwnTokenFile() {
        RestAuth a = RestAuth.fromConfig(auth("token", ""), dir);
        Path file = dir.resolve("rest-token").toAbsolutePath();
        assertEquals(Optional.of(file), a.tokenFile());
        assertTrue(a.tokens().orElseThrow().accepts(TokenFile.read(file).get(0)));
        assertTrue(a.describe().contains(file.toString()), a.describe());
    }

    @Test
    void aGivenTokenFileIsReadAndNothingIsMade() throws IOException {
        Path given = dir.resolve("secret");
        Files.writeString(given, "from-the-secret\n");
        RestAuth a = RestAuth.fromConfig(auth("token", given.toString()), dir);
        assertTrue(a.tokens().orElseThrow().accepts("from-the-secret"));
        assertEquals(false, Files.exists(dir.resolve("rest-token")));
    }

    @Test
    void noneAsksForNothingAndAnUnknownModeFails() {
        RestAuth a = RestAuth.fromConfig(auth("none", ""), dir);
        assertInstanceOf(RestAuth.Open.class, a);
        assertEquals(Optional.empty(), a.tokens());
        assertThrows(IllegalArgumentException.class, () -> RestAuth.fromConfig(auth("basic", ""), dir));
        assertThrows(IllegalArgumentException.class, () -> RestAuth.fromConfig(auth("token", dir.resolve("no")
                .toString()), dir));
    }
}
