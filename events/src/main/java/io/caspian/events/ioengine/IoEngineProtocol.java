package io.caspian.events.ioengine;

import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/** Where the control plane finds io-engines: each DataNode registers itself under {@link #DATA_NODE}. */
public final class IoEngineProtocol {
    public static final ServiceKey<IoEngineCommand> DATA_NODE =
            ServiceKey.create(IoEngineCommand.class, "caspian-data-node");

    private IoEngineProtocol() {
    }
}
