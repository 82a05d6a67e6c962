package io.caspian.projections.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caspian.control.serialization.PublicEvents;
import io.caspian.events.proto.pub.EventEnvelope;

/** Turns a journaled event into its audit row; identities and names come from the public envelope. */
public final class AuditRows {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AuditRows() {
    }

    public static AuditRow of(String persistenceId, long sequenceNr, long timestampMillis, Object event, Owner owner) {
        EventEnvelope e = PublicEvents.envelope(persistenceId, sequenceNr, timestampMillis, event);
        return new AuditRow(e.getEventId(), e.getEntityType(), e.getEntityId(), owner.volume(), owner.node(),
                e.getEventType(), timestampMillis, sequenceNr, json(event));
    }

    private static String json(Object event) {
        try {
            return JSON.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + event.getClass().getName() + " as JSON", e);
        }
    }
}
