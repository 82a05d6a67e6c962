package io.caspian.csi.controller;

import java.util.Locale;

/** How the node reaches a volume's nexus; the names are those of the REST API's {@code protocol}. */
public enum Protocol {
    NVMF("nvmf"), NBD("nbd");

    public final String wire;

    Protocol(String wire) {
        this.wire = wire;
    }

    public static Protocol parse(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        for (Protocol p : values()) {
            if (p.wire.equals(t)) {
                return p;
            }
        }
        throw new IllegalArgumentException("protocol '" + s + "' is not supported: nvmf or nbd");
    }
}
