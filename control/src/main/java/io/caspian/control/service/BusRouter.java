package io.caspian.control.service;

import io.caspian.control.bus.BusSink;
import io.caspian.control.bus.StreamKey;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.nexus.BusMark;
import io.caspian.control.entity.nexus.RebuildResult;
import io.caspian.events.ChildState;
import io.caspian.events.Enums;
import io.caspian.events.proto.bus.BusEvent;
import io.caspian.events.proto.bus.RebuildOutcome;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes io-bus records to the Nexus entity of their key (a nexus's uuid is its volume's id) as the same commands a
 * state report leads to: a child state change, a rebuild started or finished. The record's {@link BusMark} rides
 * inside the event it journals, so a redelivery is recognised after a restart too, and the audit tells a fault the
 * same way whichever channel delivered it. Error counts, rebuild progress, nexus and pool health and child
 * removals are snapshots or echoes of the control plane's own commands that state reports carry as well: they are
 * neither journaled nor marked.
 *
 * <p>Once a record that calls for action has been journaled (a child faulted or back online, a rebuild finished),
 * the volume is handed to {@code react}, which asks the reconciler to look at it at once instead of at the next
 * periodic sweep.
 */
public final class BusRouter implements BusSink {
    private static final Logger LOG = LoggerFactory.getLogger(BusRouter.class);

    private final Entities entities;
    /** Pool health records (io-engine BusPublisher.poolKey) are keyed "pool/<node>/<pool>", never a nexus uuid. */
    private static final String POOL_KEY_PREFIX = "pool/";

    private final Executor executor;
    private final Consumer<String> react;

    public BusRouter(Entities entities, Executor executor, Consumer<String> react) {
        this.entities = entities;
        this.executor = executor;
        this.react = react;
    }

    @Override
    public CompletionStage<Void> apply(StreamKey key, BusEvent event) {
        if (!event.hasChildStateChanged() && !event.hasRebuildStarted() && !event.hasRebuildFinished()) {
            return CompletableFuture.completedFuture(null);
        }
        BusMark mark = new BusMark(event.getNode(), key.topic(), key.source(), event.getSeq(), event.getTimeMillis());
        return CompletableFuture.runAsync(() -> {
            // The consumer drops most redeliveries; this catches those after a restart, before acting twice.
            if (entities.nexus(key.nexus(), NexusCommand.Get::new).covers(mark)) {
                return;
            }
            NexusState n;
            boolean act;
            if (event.hasChildStateChanged()) {
                var c = event.getChildStateChanged();
                ChildState to = Enums.fromProto(c.getTo().getState());
                if (to == ChildState.UNKNOWN) {
                    return; // says nothing a nexus could record
                }
                String reason = c.getCause().isEmpty() ? c.getTo().getReason().name().toLowerCase() : c.getCause();
                n = entities.nexus(key.nexus(), r -> new NexusCommand.SetChildState(c.getChild(), to, reason, mark,
                        r));
                // A fault needs a replacement; a child back in sync may let a faulted replica retire (the bus, not
                // the state reports, brings that news where the io-engine publishes: ReportedChildren).
                act = to == ChildState.FAULTED || to == ChildState.ONLINE;
            } else if (event.hasRebuildStarted()) {
                var x = event.getRebuildStarted();
                n = entities.nexus(key.nexus(), r -> new NexusCommand.NoteRebuildStarted(x.getChild(), x.getSource(),
                        x.getPartial(), mark, r));
                act = false;
            } else {
                var x = event.getRebuildFinished();
                n = entities.nexus(key.nexus(), r -> new NexusCommand.NoteRebuildFinished(x.getChild(),
                        result(x.getOutcome()), x.getCause(), mark, r));
                act = true;
            }
            if (act && n.active() && !n.volume().isEmpty()) {
                LOG.info("bus: {} on nexus {} (node {}); reconciling volume {} now", what(event), key.nexus(),
                        event.getNode(), n.volume());
                react.accept(n.volume());
            }
        }, executor);
    }

    @Override
    public CompletionStage<Long> appliedUpTo(StreamKey key) {
        if (key.nexus().startsWith(POOL_KEY_PREFIX)) {
            return CompletableFuture.completedFuture(0L); // a pool's stream: no nexus entity to ask
        }
        // The stream is the node's, whatever its incarnation; a mark of another incarnation tells the consumer
        // nothing about this one's numbers, so every record goes to apply, where the entity decides.
        String node = key.source().substring(0, Math.max(0, key.source().lastIndexOf('/')));
        String stream = BusMark.stream(node, key.topic());
        return CompletableFuture.supplyAsync(() -> {
            BusMark m = entities.nexus(key.nexus(), NexusCommand.Get::new).mark(stream);
            return m != null && m.source().equals(key.source()) ? m.seq() : 0L;
        }, executor);
    }

    private static RebuildResult result(RebuildOutcome o) {
        return switch (o) {
            case REBUILD_COMPLETED -> RebuildResult.COMPLETED;
            case REBUILD_FAILED -> RebuildResult.FAILED;
            case REBUILD_STOPPED -> RebuildResult.STOPPED;
            case REBUILD_OUTCOME_UNKNOWN, UNRECOGNIZED -> RebuildResult.UNKNOWN;
        };
    }

    private static String what(BusEvent e) {
        return e.hasChildStateChanged() ? "child " + e.getChildStateChanged().getChild() + " faulted"
                : "rebuild of " + e.getRebuildFinished().getChild() + " finished";
    }
}
