package io.caspian.control.observed;

import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineProtocol;
import io.caspian.events.ioengine.NodeStateReport;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Finds DataNodes through the Receptionist, subscribes to their state reports and watches them. A DataNode that
 * stops, whose cluster member becomes unreachable, or whose member starts leaving the cluster (an io-engine stopped
 * with SIGTERM leaves on its way out: it is offline from that moment, not once the Receptionist or the failure
 * detector catch up) makes its node offline; a member reachable again is asked for a fresh report, which brings
 * it back.
 *
 * <p>Every {@code refresh} it asks every DataNode for a fresh report again. A DataNode answers each request with its
 * full state (cheap: a handful of records), and re-adds the subscriber if it had dropped it. That matters after a
 * restart of this control node on the same address: a DataNode that watched the new subscriber before the cluster
 * removed the old incarnation of that address sees the watch end with the old one and stops reporting, while
 * still answering commands. Without the refresh this control node would act on a frozen report forever; with it
 * the report is fresh again within one period, and meanwhile {@link Inventory} calls the node unknown.
 *
 * <p>The refresh also goes to DataNodes still listed whose watch ended: when an io-engine restarts on the same
 * address, the cluster's removal of the old incarnation ends every watch on that address, the new DataNode's too
 * if it was listed first. Its next report makes it known and watched again.
 */
public final class DataNodeWatcher {
    /** What this actor handles; all local. */
    public sealed interface Message {
    }

    private record Listed(Receptionist.Listing listing) implements Message {
    }

    private record Reported(NodeStateReport report) implements Message {
    }

    private record Gone(ActorRef<IoEngineCommand> dataNode) implements Message {
    }

    private record Reachability(ClusterEvent.ReachabilityEvent event) implements Message {
    }

    private record Membership(ClusterEvent.MemberEvent event) implements Message {
    }

    private record Refresh() implements Message {
    }

    /** How often every known DataNode is asked for a fresh report. */
    public static final java.time.Duration REFRESH = java.time.Duration.ofSeconds(5);

    private DataNodeWatcher() {
    }

    public static Behavior<Message> create(Inventory inventory, NodeListener listener) {
        return create(inventory, listener, REFRESH);
    }

    public static Behavior<Message> create(Inventory inventory, NodeListener listener, java.time.Duration refresh) {
        return Behaviors.withTimers(timers -> Behaviors.setup(ctx -> {
            // Named after this class: a built behavior's logger is Pekko's, which the io.caspian level misses.
            ctx.setLoggerName(DataNodeWatcher.class);
            timers.startTimerWithFixedDelay(new Refresh(), refresh);
            ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class, Listed::new);
            ctx.getSystem().receptionist().tell(Receptionist.subscribe(IoEngineProtocol.DATA_NODE, listings));
            ActorRef<NodeStateReport> reports = ctx.messageAdapter(NodeStateReport.class, Reported::new);
            Cluster cluster = Cluster.get(ctx.getSystem());
            cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class,
                    Reachability::new), ClusterEvent.ReachabilityEvent.class));
            cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.MemberEvent.class,
                    Membership::new), ClusterEvent.MemberEvent.class));
            Set<ActorRef<IoEngineCommand>> known = new HashSet<>();
            // The Receptionist's latest listing. A ref stays listed after a Terminated that was not its own: the
            // removal of an old incarnation of an address terminates every watch on that address, including the
            // watch on the new incarnation's DataNode when it was listed first. Such a ref is asked for reports
            // again; its next report makes it known (and watched) again.
            Set<ActorRef<IoEngineCommand>> listed = new HashSet<>();
            // DataNodes whose member is leaving: until the Receptionist drops them, a listing or a last report of
            // theirs must not bring the node back (a restarted io-engine is a new DataNode ref).
            Set<ActorRef<IoEngineCommand>> departed = new HashSet<>();
            return Behaviors.receive(Message.class)
                    .onMessage(Listed.class, m -> {
                        Set<ActorRef<IoEngineCommand>> now = m.listing().getServiceInstances(IoEngineProtocol.DATA_NODE);
                        listed.clear();
                        listed.addAll(now);
                        departed.retainAll(now);
                        for (ActorRef<IoEngineCommand> ref : now) {
                            if (!departed.contains(ref) && admit(ctx, ref, known)) {
                                ref.tell(new IoEngineCommand.SubscribeState(reports));
                            }
                        }
                        for (ActorRef<IoEngineCommand> ref : Set.copyOf(known)) {
                            if (!now.contains(ref)) {
                                gone(ctx, ref, known, inventory, listener);
                            }
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Reported.class, m -> {
                        NodeStateReport r = m.report();
                        if (!listed.contains(r.dataNode()) || departed.contains(r.dataNode())) {
                            // From a DataNode that stopped or is leaving: a report still in flight must not bring
                            // its node back online, where nothing would ever take it offline again.
                            return Behaviors.same();
                        }
                        if (admit(ctx, r.dataNode(), known)) {
                            // Listed, and answering: its Terminated was the old incarnation's. Watched again, so a
                            // real stop takes the node offline as before.
                            ctx.getLog().info("{}: DataNode {} reports again", r.node(), r.dataNode());
                        }
                        NodeStateReport before = inventory.node(r.node()).filter(Inventory.Observed::online)
                                .map(Inventory.Observed::report).orElse(null);
                        if (inventory.update(r)) {
                            listener.reported(r, before);
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Refresh.class, m -> {
                        // Every known DataNode is listed (a listing without it makes it gone), so this reaches
                        // the known ones and those listed whose watch ended.
                        listed.stream().filter(ref -> !departed.contains(ref))
                                .forEach(ref -> ref.tell(new IoEngineCommand.SubscribeState(reports)));
                        return Behaviors.same();
                    })
                    .onMessage(Gone.class, m -> {
                        gone(ctx, m.dataNode(), known, inventory, listener);
                        return Behaviors.same();
                    })
                    .onMessage(Reachability.class, m -> {
                        // Unreachable is the first sign of a dead or cut-off node; the Receptionist only drops its
                        // DataNode once the member is removed. Reachable again: ask for a fresh report.
                        Address where = m.event().member().address();
                        for (ActorRef<IoEngineCommand> ref : known) {
                            if (address(ref, cluster).equals(where)) {
                                if (m.event() instanceof ClusterEvent.UnreachableMember) {
                                    inventory.offline(ref).ifPresent(node -> {
                                        ctx.getLog().info("{}: offline, its member {} is unreachable", node, where);
                                        listener.offline(node);
                                    });
                                } else {
                                    ref.tell(new IoEngineCommand.SubscribeState(reports));
                                }
                            }
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Membership.class, m -> {
                        if (leaving(m.event())) {
                            Address where = m.event().member().address();
                            for (ActorRef<IoEngineCommand> ref : Set.copyOf(known)) {
                                if (address(ref, cluster).equals(where)) {
                                    departed.add(ref);
                                    gone(ctx, ref, known, inventory, listener);
                                }
                            }
                        }
                        return Behaviors.same();
                    })
                    .build();
        }));
    }

    /**
     * A member that asked to leave (Leaving, then Exiting). Only a live incarnation leaves, so the address names the
     * DataNode known there now; a downed or removed member may be an old incarnation of an address a restarted
     * io-engine already uses again, and is left to unreachability and the DataNode's termination.
     */
    private static boolean leaving(ClusterEvent.MemberEvent e) {
        return e instanceof ClusterEvent.MemberLeft || e instanceof ClusterEvent.MemberExited;
    }

    private static Address address(ActorRef<?> ref, Cluster cluster) {
        Address a = ref.path().address();
        return a.hasGlobalScope() ? a : cluster.selfMember().address();
    }

    /** Known and watched from now on; false if it already was. */
    private static boolean admit(ActorContext<Message> ctx, ActorRef<IoEngineCommand> ref,
                                 Set<ActorRef<IoEngineCommand>> known) {
        if (!known.add(ref)) {
            return false;
        }
        ctx.watchWith(ref, new Gone(ref));
        return true;
    }

    private static void gone(ActorContext<Message> ctx, ActorRef<IoEngineCommand> ref,
                             Set<ActorRef<IoEngineCommand>> known, Inventory inventory, NodeListener listener) {
        if (known.remove(ref)) {
            ctx.unwatch(ref);
            inventory.offline(ref).ifPresent(node -> {
                ctx.getLog().info("{}: offline, its DataNode {} stopped or left", node, ref);
                listener.offline(node);
            });
        }
    }
}
