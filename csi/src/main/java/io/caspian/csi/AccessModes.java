package io.caspian.csi;

import io.caspian.csi.v1.VolumeCapability;
import io.caspian.csi.v1.VolumeCapability.AccessMode.Mode;

/**
 * Which access modes a Caspian volume supports. A volume is one nexus exported to one host, and neither ext4 nor
 * xfs is a cluster filesystem, so only single-node modes are offered; read-only publishing is a mount option.
 */
public final class AccessModes {
    private AccessModes() {
    }

    /** Null when the capability is supported, else why not (for INVALID_ARGUMENT / the validate message). */
    public static String problem(VolumeCapability c) {
        if (!c.hasAccessMode()) {
            return "volume capability has no access mode";
        }
        String mode = switch (c.getAccessMode().getMode()) {
            case SINGLE_NODE_WRITER, SINGLE_NODE_SINGLE_WRITER, SINGLE_NODE_MULTI_WRITER, SINGLE_NODE_READER_ONLY ->
                    null;
            case MULTI_NODE_READER_ONLY, MULTI_NODE_SINGLE_WRITER, MULTI_NODE_MULTI_WRITER ->
                    "access mode " + c.getAccessMode().getMode() + " is not supported: a Caspian volume is attached to "
                            + "one node at a time";
            case UNKNOWN, UNRECOGNIZED -> "access mode must be set";
        };
        if (mode != null) {
            return mode;
        }
        return switch (c.getAccessTypeCase()) {
            case BLOCK -> null;
            case MOUNT -> Filesystem.problem(c.getMount().getFsType());
            case ACCESSTYPE_NOT_SET -> "volume capability needs an access type: block or mount";
        };
    }

    /** True for the modes that allow one writer only at one target path. */
    public static boolean singleWriterOnly(VolumeCapability c) {
        return c.getAccessMode().getMode() == Mode.SINGLE_NODE_SINGLE_WRITER;
    }

    /** True for modes that never write. */
    public static boolean readOnly(VolumeCapability c) {
        return c.getAccessMode().getMode() == Mode.SINGLE_NODE_READER_ONLY;
    }
}
