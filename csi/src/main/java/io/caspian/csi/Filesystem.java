package io.caspian.csi;

import java.util.Locale;

/** The filesystems the node plugin makes and mounts; ext4 when none is named. */
public enum Filesystem {
    EXT4("ext4"), XFS("xfs");

    public final String type;

    Filesystem(String type) {
        this.type = type;
    }

    public static Filesystem parse(String fsType) {
        String t = fsType == null ? "" : fsType.strip().toLowerCase(Locale.ROOT);
        if (t.isEmpty()) {
            return EXT4;
        }
        for (Filesystem f : values()) {
            if (f.type.equals(t)) {
                return f;
            }
        }
        throw new IllegalArgumentException("fsType '" + fsType + "' is not supported: ext4 or xfs");
    }

    /** Null when {@code fsType} is supported (empty is ext4). */
    public static String problem(String fsType) {
        try {
            parse(fsType);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }
}
