package io.caspian.projections.audit;

/**
 * The volume and node an entity belongs to, as its creation event said. Later events of replicas and nexuses (a
 * child faulted, a status change) do not repeat them, so the audit projection remembers them in
 * {@code audit_entities}.
 */
public record Owner(String volume, String node) {
    public static final Owner NONE = new Owner(null, null);

    static Owner of(String volume, String node) {
        return new Owner(blankToNull(volume), blankToNull(node));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
