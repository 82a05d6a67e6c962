package io.caspian.control.rest.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TokensTest {

    @Test
    void acceptsEachOfItsTokensAndNothingElse() {
        Tokens t = Tokens.of(List.of("first-token", "second-token"));
        assertTrue(t.accepts("first-token"));
        assertTrue(t.accepts("second-token"));
        assertFalse(t.accepts("first-toke"));
        assertFalse(t.accepts("first-tokenx"));
        assertFalse(t.accepts("FIRST-TOKEN"));
        assertFalse(t.accepts(""));
    }

    @Test
    void refusesNoTokensAndBlankOnes() {
        assertThrows(IllegalArgumentException.class, () -> Tokens.of(List.of()));
        assertThrows(IllegalArgumentException.class, () -> Tokens.of(List.of("ok", " ")));
    }
}
