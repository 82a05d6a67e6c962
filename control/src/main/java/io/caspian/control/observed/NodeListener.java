package io.caspian.control.observed;

import io.caspian.events.ioengine.NodeStateReport;

/** Told by {@link DataNodeWatcher} when an io-engine reports or goes away. Called on the watcher's thread. */
public interface NodeListener {
    /** A new report; {@code restarted} is true for the first report of a new io-engine instance. */
    void reported(NodeStateReport report, boolean restarted);

    void offline(String node);
}
