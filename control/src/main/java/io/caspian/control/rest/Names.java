package io.caspian.control.rest;

import io.caspian.control.entity.Reply;
import io.caspian.control.service.ControlException;
import java.util.regex.Pattern;

/**
 * The forms the API accepts for ids and names, checked before anything is looked up or journaled: an id or name
 * is shown in the CLI's tables, logged, put in NVMe qualified names and pool superblocks, so a NUL, a newline, a
 * path ({@code ../../x}) or a right-to-left override must never get that far.
 *
 * <ul>
 *   <li>Volumes, replicas and nexuses are named by a UUID in its canonical form: 36 characters, lower-case hex.
 *       One form only, so that one volume cannot be two entities spelt in two cases.</li>
 *   <li>Nodes and pools are named like Kubernetes objects (a DNS subdomain, RFC 1123): lower-case letters,
 *       digits, {@code -} and {@code .}, starting and ending with a letter or digit, at most 253 characters. Nodes
 *       take their Kubernetes node name and pools their DiskPool's name, so every such name fits.</li>
 * </ul>
 * See docs/adr/strict-api-input.md.
 */
public final class Names {
    static final int NAME_MAX = 253;
    private static final Pattern UUID = Pattern.compile(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern NAME = Pattern.compile(
            "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    private Names() {
    }

    /** {@code id} if it is a canonical UUID, else a 400 naming {@code what} (volume, replica, nexus). */
    static String uuid(String what, String id) {
        if (!UUID.matcher(id).matches()) {
            throw new ControlException(Reply.Kind.INVALID, what + " id " + shown(id) + " is not a UUID in canonical "
                    + "form (lower-case hex, 8-4-4-4-12, e.g. 6f1c2a3b-0d4e-4f5a-8b6c-7d8e9f0a1b2c)");
        }
        return id;
    }

    /** Whether {@code name} may name a node or a pool; the io-engine checks its own node id with it at start. */
    public static boolean isName(String name) {
        return name.length() <= NAME_MAX && NAME.matcher(name).matches();
    }

    /** {@code name} if it is a valid node or pool name, else a 400 naming {@code what}. */
    static String name(String what, String name) {
        if (!isName(name)) {
            throw new ControlException(Reply.Kind.INVALID, what + " name " + shown(name) + " is not a valid name: "
                    + "1 to " + NAME_MAX + " lower-case letters, digits, '-' and '.', starting and ending with a "
                    + "letter or digit (a Kubernetes object name)");
        }
        return name;
    }

    /**
     * The value quoted for an error message: printable ASCII as is, everything else as a \\uXXXX escape, and cut
     * short, so that the message itself carries none of what made the value bad.
     */
    static String shown(String value) {
        StringBuilder b = new StringBuilder("'");
        int max = 80;
        for (int i = 0; i < value.length() && i < max; i++) {
            char c = value.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                b.append(c);
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        if (value.length() > max) {
            b.append("...");
        }
        return b.append("' (").append(value.length()).append(" characters)").toString();
    }
}
