package io.caspian.control.serialization;

import io.caspian.control.entity.node.NodeCodec;
import io.caspian.control.entity.node.NodeEvent;
import io.caspian.control.entity.nexus.NexusCodec;
import io.caspian.control.entity.nexus.NexusEvent;
import io.caspian.control.entity.pool.PoolCodec;
import io.caspian.control.entity.pool.PoolEvent;
import io.caspian.control.entity.replica.ReplicaCodec;
import io.caspian.control.entity.replica.ReplicaEvent;
import io.caspian.control.entity.volume.VolumeCodec;
import io.caspian.control.entity.volume.VolumeEvent;
import io.caspian.events.proto.pub.EventEnvelope;

/**
 * Wraps a journaled event in the public envelope ({@code caspian/public.proto}) that projections publish. The
 * event id is derived from the persistence id and sequence number, so a re-published event has the same id.
 */
public final class PublicEvents {
    private PublicEvents() {
    }

    /** {@code persistenceId} is "Type|id" as the entities write it. */
    public static EventEnvelope envelope(String persistenceId, long sequenceNr, long timestampMillis, Object event) {
        int bar = persistenceId.indexOf('|');
        if (bar < 0) {
            throw new IllegalArgumentException("persistence id '" + persistenceId + "' is not of the form Type|id");
        }
        var b = EventEnvelope.newBuilder()
                .setEventId(persistenceId + "|" + sequenceNr)
                .setEntityType(persistenceId.substring(0, bar))
                .setEntityId(persistenceId.substring(bar + 1))
                .setSequenceNr(sequenceNr)
                .setTimestampMillis(timestampMillis)
                .setEventType(event.getClass().getSimpleName());
        if (event instanceof NodeEvent e) {
            b.setNode(NodeCodec.toProto(e));
        } else if (event instanceof PoolEvent e) {
            b.setPool(PoolCodec.toProto(e));
        } else if (event instanceof ReplicaEvent e) {
            b.setReplica(ReplicaCodec.toProto(e));
        } else if (event instanceof NexusEvent e) {
            b.setNexus(NexusCodec.toProto(e));
        } else if (event instanceof VolumeEvent e) {
            b.setVolume(VolumeCodec.toProto(e));
        } else {
            throw new IllegalArgumentException("not a journaled control-plane event: " + event.getClass().getName());
        }
        return b.build();
    }
}
