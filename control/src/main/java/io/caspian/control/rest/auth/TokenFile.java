package io.caspian.control.rest.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Token files: one or more tokens, one a line, blank lines and {@code #} comments ignored (a Kubernetes Secret
 * mounted as a file is one); and the file the control plane makes for itself when none is given.
 */
public final class TokenFile {
    /** RFC 6750's b64token: what may follow "Bearer " in a header, so a token read here can be sent. */
    private static final Pattern B64TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]+=*");
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE);
    private static final SecureRandom RANDOM = new SecureRandom();

    private TokenFile() {
    }

    /** The tokens in {@code file}, in order; at least one. */
    public static List<String> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the token file " + file + ": " + e, e);
        }
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (!B64TOKEN.matcher(line).matches()) {
                // The line is a secret: say where, never what.
                throw new IllegalArgumentException("the token file " + file + ", line " + (i + 1)
                        + ": a token is letters, digits and -._~+/ (then any '='), one a line");
            }
            tokens.add(line);
        }
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("the token file " + file + " holds no token");
        }
        return tokens;
    }

    /**
     * The tokens of {@code file}, which is made with one new random token (256 bits, base64url) when it does not
     * exist. It is made readable by its owner only from the start — written under a temporary name created 0600,
     * then linked to its name, which fails rather than replaces when another process made it meanwhile — so it is
     * never seen half-written or open to others, and an existing token is never overwritten. An existing file that
     * its group or others may read is refused: its token may have been read, and the operator should know.
     */
    public static List<String> readOrCreate(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            if (!Files.exists(file)) {
                Path temp = Files.createTempFile(dir, ".rest-token", ".tmp",
                        PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                try {
                    Files.writeString(temp, newToken() + "\n", StandardCharsets.UTF_8);
                    Files.createLink(file, temp);
                } catch (FileAlreadyExistsException raced) {
                    // Another process made it first: its token stands.
                } finally {
                    Files.delete(temp);
                }
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (!OWNER_ONLY.containsAll(perms)) {
                throw new IllegalArgumentException("the token file " + file + " is "
                        + PosixFilePermissions.toString(perms) + ": others may have read it; make a new one or, if "
                        + "it is safe, chmod 600 it");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot make the token file " + file + ": " + e, e);
        }
        return read(file);
    }

    /** 256 random bits, base64url without padding: 43 characters that fit a header, a URL and a shell word. */
    static String newToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
