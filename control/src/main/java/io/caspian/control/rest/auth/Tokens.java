package io.caspian.control.rest.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The tokens the API accepts, held as SHA-256 digests. A presented token is hashed and compared with every accepted
 * digest by {@link MessageDigest#isEqual}, without stopping at a match: the time taken says nothing about how much
 * of a token was right, nor (both sides being 32 bytes) how long the accepted tokens are, nor which one matched.
 */
public final class Tokens {
    private final List<byte[]> digests;

    private Tokens(List<byte[]> digests) {
        this.digests = digests;
    }

    /** At least one token, none blank. */
    public static Tokens of(List<String> tokens) {
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("no token given");
        }
        if (tokens.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("a token is blank");
        }
        return new Tokens(tokens.stream().map(Tokens::sha256).toList());
    }

    public boolean accepts(String presented) {
        byte[] digest = sha256(presented);
        boolean match = false;
        for (byte[] d : digests) {
            match |= MessageDigest.isEqual(d, digest);
        }
        return match;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
