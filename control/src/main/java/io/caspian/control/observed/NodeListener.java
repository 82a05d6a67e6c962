package io.caspian.control.observed;

import io.caspian.events.ioengine.NodeStateReport;

/** Told by {@link DataNodeWatcher} when an io-engine reports or goes away. Called on the watcher's thread. */
public interface NodeListener {
    /**
     * A report that says something new. {@code previous}: the node's last report while it was online and fresh,
     * null if there was none; a different {@code instance} in it means the io-engine restarted.
     */
    void reported(NodeStateReport report, NodeStateReport previous);

    void offline(String node);
}
