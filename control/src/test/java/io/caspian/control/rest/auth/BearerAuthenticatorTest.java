package io.caspian.control.rest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The header check alone; through real HTTP in control's RestAuthenticationTest and RestContractTest. */
class BearerAuthenticatorTest {

    @Test
    void theHeaderMustBeBearerAndTheTokenRight() {
        Tokens t = Tokens.of(List.of("abc123"));
        assertEquals(Optional.empty(), BearerAuthenticator.refusal(t, Optional.of("Bearer abc123")));
        assertEquals(Optional.empty(), BearerAuthenticator.refusal(t, Optional.of("bearer abc123")),
                "the scheme is case-insensitive (RFC 7235)");
        assertTrue(BearerAuthenticator.refusal(t, Optional.empty()).orElseThrow().contains("needs a token"));
        assertTrue(BearerAuthenticator.refusal(t, Optional.of("Basic abc123")).orElseThrow().contains("Bearer"));
        assertTrue(BearerAuthenticator.refusal(t, Optional.of("Bearer ")).isPresent());
        assertTrue(BearerAuthenticator.refusal(t, Optional.of("abc123")).isPresent());
        String wrong = BearerAuthenticator.refusal(t, Optional.of("Bearer abc124")).orElseThrow();
        assertFalse(wrong.contains("abc12"), "a refusal never repeats a token: " + wrong);
    }
}
