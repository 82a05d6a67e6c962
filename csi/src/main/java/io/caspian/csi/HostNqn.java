package io.caspian.csi;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The NVMe host NQN and host id a CSI node connects with, derived from its node id. The controller computes the
 * same NQN from the node id that kubelet passes to ControllerPublishVolume and asks the control plane to admit only
 * that host, so the node plugin needs no extra round trip (NodeGetInfo has no field for it) and the answer does not
 * depend on the node's {@code /etc/nvme/hostnqn}.
 */
public final class HostNqn {
    static final String PREFIX = "nqn.2019-05.io.caspian:node:";
    private static final Pattern READABLE = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    private HostNqn() {
    }

    /** {@code nqn.2019-05.io.caspian:node:<node-id>}, or the node id's name-based UUID when it is long or odd. */
    public static String of(String nodeId) {
        return PREFIX + (READABLE.matcher(nodeId).matches() ? nodeId : hostId(nodeId).toString());
    }

    /** The host id that goes with the NQN (the kernel wants one host id per host NQN). */
    public static UUID hostId(String nodeId) {
        return UUID.nameUUIDFromBytes(("io.caspian.csi.host:" + nodeId).getBytes(StandardCharsets.UTF_8));
    }
}
