package io.caspian.control.rest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {
    @TempDir
    Path dir;

    @Test
    void readsOneTokenALineSkippingBlankLinesAndComments() throws IOException {
        Path f = dir.resolve("tokens");
        Files.writeString(f, "# the API's tokens\n\n  first-token  \n#old-token\nsecond+token/==\n");
        assertEquals(List.of("first-token", "second+token/=="), TokenFile.read(f));
    }

    @Test
    void refusesAFileWithoutATokenOrWithOneThatCannotBeSentAndNeverQuotesIt() throws IOException {
        Path empty = dir.resolve("empty");
        Files.writeString(empty, "# nothing\n\n");
        assertThrows(IllegalArgumentException.class, () -> TokenFile.read(empty));
        Path spaced = dir.resolve("spaced");
        Files.writeString(spaced, "good\nsecret with space\n");
        var e = assertThrows(IllegalArgumentException.class, () -> TokenFile.read(spaced));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertFalse(e.getMessage().contains("secret"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TokenFile.read(dir.resolve("missing")));
    }

    @Test
    void makesA256BitTokenReadableByItsOwnerOnly() throws IOException {
        Path f = dir.resolve("data").resolve("rest-token");
        List<String> tokens = TokenFile.readOrCreate(f);
        assertEquals(1, tokens.size());
        assertEquals(43, tokens.get(0).length(), "32 bytes, base64url without padding");
        assertTrue(tokens.get(0).matches("[A-Za-z0-9_-]+"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        try (var left = Files.list(f.getParent())) {
            assertEquals(List.of(f), left.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void neverOverwritesAnExistingToken() throws IOException {
        Path f = dir.resolve("rest-token");
        String first = TokenFile.readOrCreate(f).get(0);
        assertEquals(first, TokenFile.readOrCreate(f).get(0));
        Files.writeString(f, "operator-chosen\n");
        assertEquals(List.of("operator-chosen"), TokenFile.readOrCreate(f));
        assertNotEquals(first, TokenFile.newToken());
    }

    @Test
    void refusesAnExistingTokenFileOthersMayRead() throws IOException {
        Path f = dir.resolve("rest-token");
        TokenFile.readOrCreate(f);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        var e = assertThrows(IllegalArgumentException.class, () -> TokenFile.readOrCreate(f));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--------"));
        assertEquals(1, TokenFile.readOrCreate(f).size(), "read-only for its owner is fine");
    }
}
