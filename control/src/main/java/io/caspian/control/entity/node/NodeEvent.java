package io.caspian.control.entity.node;

import io.caspian.control.entity.ControlMessage;
import java.util.Map;

/** What happened to a Node; journaled. */
public sealed interface NodeEvent extends ControlMessage {

    record NodeRegistered(String endpoint, Map<String, String> labels) implements NodeEvent {
        public NodeRegistered {
            labels = Map.copyOf(labels);
        }
    }

    record NodeCameOnline() implements NodeEvent {
    }

    record NodeWentOffline() implements NodeEvent {
    }

    record NodeCordoned() implements NodeEvent {
    }

    record NodeUncordoned() implements NodeEvent {
    }
}
