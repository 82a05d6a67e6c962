package io.caspian.events.ioengine;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/** Where the control plane finds io-engines: each DataNode registers itself under {@link #DATA_NODE}. */
public final class IoEngineProtocol {
    public static final ServiceKey<IoEngineCommand> DATA_NODE =
            ServiceKey.create(IoEngineCommand.class, "caspian-data-node");

    /** The NVMe host NQN of a node: what its io-engine presents when a nexus connects to remote replicas. */
    private static final String HOST_NQN_PREFIX = "nqn.2019-05.io.caspian:node:";
    /** An NQN is at most 223 bytes (NVMe base spec, 4.5). */
    private static final int NQN_MAX_BYTES = 223;

    private IoEngineProtocol() {
    }

    /**
     * The host NQN of node {@code nodeId}: derived from the node id alone, so the control plane (which grants
     * access to replicas) and the io-engine (which presents it) agree without asking each other, and it stays
     * the same across restarts. A node id too long for an NQN gets a name-based uuid in its place.
     */
    public static String hostNqn(String nodeId) {
        String nqn = HOST_NQN_PREFIX + nodeId;
        if (nqn.getBytes(StandardCharsets.UTF_8).length <= NQN_MAX_BYTES) {
            return nqn;
        }
        return HOST_NQN_PREFIX + "uuid:" + UUID.nameUUIDFromBytes(nodeId.getBytes(StandardCharsets.UTF_8));
    }
}
