package io.caspian.app;

import com.typesafe.config.Config;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;

/**
 * Joins a role's actor system to its cluster through Pekko Management's Cluster Bootstrap when {@code --bootstrap}
 * asked for it. The control nodes found by discovery (the Kubernetes API, DNS or a list in the config) probe each
 * other and the one with the lowest address forms the cluster once enough of them agree; the others, and every
 * io-engine, join it. Unlike a fixed seed list, a cold start does not wait for one particular node, and a node
 * that restarts finds the running cluster instead of forming its own.
 */
final class Bootstrap {
    static final String ENABLED = "caspian.bootstrap.enabled";

    private Bootstrap() {
    }

    /** Starts the management endpoint and the bootstrap, if the config enables them; otherwise nothing. */
    static void startIfEnabled(ActorSystem<?> system) {
        Config c = system.settings().config();
        if (!c.getBoolean(ENABLED)) {
            return;
        }
        org.apache.pekko.actor.ActorSystem classic = Adapter.toClassic(system);
        PekkoManagement.get(classic).start().whenComplete((uri, e) -> {
            if (e != null) {
                // Without its endpoint this node is no contact point; it may still join through the others.
                system.log().error("Pekko Management did not start: {}", e.toString());
            } else {
                system.log().info("Pekko Management on {}", uri);
            }
        });
        ClusterBootstrap.get(classic).start();
    }
}
