package io.caspian.control.service;

import io.caspian.control.bus.BusSink;
import io.caspian.control.bus.StreamKey;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.events.ChildState;
import io.caspian.events.Enums;
import io.caspian.events.proto.bus.BusEvent;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes io-bus records to the Nexus entity of their key (a nexus's uuid is its volume's id). Child state changes
 * are persisted with their stream's mark in one event; rebuild and nexus events persist the mark alone, so that a
 * redelivery is recognised after a restart too. Error counts and rebuild progress are snapshots: applying one again
 * changes nothing, so they are neither journaled nor marked.
 *
 * <p>Once a record that calls for action has been persisted (a child faulted, a rebuild finished), the volume is
 * handed to {@code react}, which reconciles it at once instead of at the next periodic sweep.
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
        // Pool health changes (keyed by pool, not nexus) reach the control plane in state reports too.
        if (event.hasErrorCounts() || event.hasRebuildProgress() || event.hasPoolStateChanged()) {
            return CompletableFuture.completedFuture(null);
        }
        String stream = NexusState.stream(key.source(), key.topic());
        return CompletableFuture.runAsync(() -> {
            // The consumer drops most redeliveries; this catches those after a restart, before acting twice.
            if (event.getSeq() <= entities.nexus(key.nexus(), NexusCommand.Get::new).busMark(stream)) {
                return;
            }
            String child = "";
            ChildState to = ChildState.UNKNOWN;
            String reason = "";
            boolean act = event.hasRebuildFinished();
            if (event.hasChildStateChanged()) {
                var c = event.getChildStateChanged();
                child = c.getChild();
                to = Enums.fromProto(c.getTo().getState());
                reason = c.getCause().isEmpty() ? c.getTo().getReason().name().toLowerCase() : c.getCause();
                act = to == ChildState.FAULTED;
            }
            String uri = child;
            ChildState state = to;
            String why = reason;
            NexusState n = entities.nexus(key.nexus(), r -> new NexusCommand.ApplyBus(stream, event.getSeq(), uri,
                    state, why, r));
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
        String stream = NexusState.stream(key.source(), key.topic());
        return CompletableFuture.supplyAsync(() -> entities.nexus(key.nexus(), NexusCommand.Get::new).busMark(stream),
                executor);
    }

    private static String what(BusEvent e) {
        return e.hasChildStateChanged() ? "child " + e.getChildStateChanged().getChild() + " faulted"
                : "rebuild of " + e.getRebuildFinished().getChild() + " finished";
    }
}
