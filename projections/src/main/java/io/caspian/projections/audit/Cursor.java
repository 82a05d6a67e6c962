package io.caspian.projections.audit;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Where a page ended: the last row's time and row id, which order rows totally. Opaque to clients (URL-safe
 * base64), so its form may change.
 */
public record Cursor(long timeMillis, long rowId) {
    public String encode() {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("v1:" + timeMillis + ":" + rowId).getBytes(StandardCharsets.US_ASCII));
    }

    /** @throws IllegalArgumentException naming the cursor if it is not one this class wrote */
    public static Cursor decode(String s) {
        try {
            String[] p = new String(Base64.getUrlDecoder().decode(s), StandardCharsets.US_ASCII).split(":");
            if (p.length != 3 || !p[0].equals("v1")) {
                throw new IllegalArgumentException("unknown form");
            }
            return new Cursor(Long.parseLong(p[1]), Long.parseLong(p[2]));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cursor '" + s + "' is not one this API returned", e);
        }
    }
}
