package io.caspian.events;

/** How a nexus or replica is exported; NONE means not exported. */
public enum Protocol {
    NONE, NVMF, NBD;

    /** Parses the lower-case names used in URLs and JSON ("nvmf", "nbd", "none"). */
    public static Protocol parse(String text) {
        for (Protocol p : values()) {
            if (p.name().equalsIgnoreCase(text)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown protocol '" + text + "': expected nvmf, nbd or none");
    }
}
