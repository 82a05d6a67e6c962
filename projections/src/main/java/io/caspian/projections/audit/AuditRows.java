package io.caspian.projections.audit;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caspian.control.entity.nexus.BusMark;
import io.caspian.control.serialization.PublicEvents;
import io.caspian.events.proto.pub.EventEnvelope;

/** Turns a journaled event into its audit row; identities and names come from the public envelope. */
public final class AuditRows {
    private static final ObjectMapper JSON = new ObjectMapper();

    static {
        // A change that came from a state report or the reconciler carries BusMark.NONE: bookkeeping zeros that
        // would tell an auditor nothing, so the payload names a bus record only when one caused the change.
        JSON.configOverride(BusMark.class).setInclude(JsonInclude.Value.construct(JsonInclude.Include.CUSTOM,
                JsonInclude.Include.USE_DEFAULTS, NoBusRecord.class, null));
    }

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

    /** Jackson's value filter: a property equal to this is left out. */
    private static final class NoBusRecord {
        @Override
        public boolean equals(Object other) {
            return other instanceof BusMark mark && !mark.present();
        }

        @Override
        public int hashCode() {
            return 0;
        }
    }
}
