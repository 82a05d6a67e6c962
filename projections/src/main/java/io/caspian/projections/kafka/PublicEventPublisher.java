package io.caspian.projections.kafka;

import io.caspian.control.serialization.PublicEvents;
import io.caspian.events.proto.pub.EventEnvelope;
import io.caspian.projections.audit.Ownership;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.pekko.Done;
import org.apache.pekko.projection.ProjectionContext;
import org.apache.pekko.stream.javadsl.FlowWithContext;

/**
 * Sends each journaled event to the public topic as an {@link EventEnvelope} keyed by entity id, so one entity's
 * events share a partition and keep their order. The stage completes an event only when the broker acknowledged
 * it, and the projection stores an offset only past completed events: nothing is lost, and an event re-sent after
 * a restart carries the same event id.
 */
public final class PublicEventPublisher {
    private final Producer<String, byte[]> producer;
    private final String topic;
    private final int inFlight;

    /** {@code producer} must be idempotent (see {@link Producers}), or a retried send could reorder a partition. */
    public PublicEventPublisher(Producer<String, byte[]> producer, String topic, int inFlight) {
        this.producer = producer;
        this.topic = topic;
        this.inFlight = inFlight;
    }

    public static EventEnvelope envelope(org.apache.pekko.projection.eventsourced.EventEnvelope<Object> e) {
        EventEnvelope env = PublicEvents.envelope(e.persistenceId(), e.sequenceNr(), e.timestamp(), e.event());
        String node = Ownership.namedNode(env.getEntityId(), e.event());
        return node == null ? env : env.toBuilder().setOriginNode(node).build();
    }

    /** In order: sends are handed to the producer in journal order and completions are emitted in that order. */
    public FlowWithContext<org.apache.pekko.projection.eventsourced.EventEnvelope<Object>, ProjectionContext, Done,
            ProjectionContext, ?> flow() {
        return FlowWithContext.<org.apache.pekko.projection.eventsourced.EventEnvelope<Object>, ProjectionContext>create()
                .mapAsync(inFlight, this::send);
    }

    private CompletionStage<Done> send(org.apache.pekko.projection.eventsourced.EventEnvelope<Object> e) {
        EventEnvelope env = envelope(e);
        CompletableFuture<Done> acked = new CompletableFuture<>();
        producer.send(new ProducerRecord<>(topic, env.getEntityId(), env.toByteArray()), (meta, err) -> {
            if (err == null) {
                acked.complete(Done.getInstance());
            } else {
                acked.completeExceptionally(err);
            }
        });
        return acked;
    }
}
