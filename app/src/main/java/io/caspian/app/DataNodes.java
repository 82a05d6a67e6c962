package io.caspian.app;

import io.caspian.events.ioengine.IoEngineCommand;
import org.apache.pekko.actor.typed.Behavior;

/** The one place where the app meets the io-engine's {@code DataNode} actor. */
public final class DataNodes {
    private DataNodes() {
    }

    public static Behavior<IoEngineCommand> behavior(IoEngineOptions o) {
        throw new UnsupportedOperationException("this build has no io-engine DataNode yet (node " + o.nodeId() + ")");
    }
}
