package io.caspian.projections.audit;

import io.caspian.control.entity.nexus.NexusEvent;
import io.caspian.control.entity.node.NodeEvent;
import io.caspian.control.entity.pool.PoolEvent;
import io.caspian.control.entity.replica.ReplicaEvent;
import io.caspian.control.entity.volume.VolumeEvent;

/**
 * What an event says about its entity's owner: a creation event sets it, a volume's publication moves its node,
 * every other event keeps what was known before.
 */
public final class Ownership {
    private Ownership() {
    }

    /** The owner after {@code event}, given the one known before it (NONE if unknown). */
    public static Owner after(String entityId, Object event, Owner before) {
        if (event instanceof NodeEvent) {
            return Owner.of(null, entityId);
        }
        if (event instanceof PoolEvent.PoolCreated e) {
            return Owner.of(null, e.spec().node());
        }
        if (event instanceof ReplicaEvent.ReplicaCreated e) {
            return Owner.of(e.spec().volume(), e.spec().node());
        }
        if (event instanceof NexusEvent.NexusCreated e) {
            return Owner.of(e.spec().volume(), e.spec().node());
        }
        if (event instanceof VolumeEvent.VolumePublished e) {
            return Owner.of(entityId, e.node());
        }
        if (event instanceof VolumeEvent.VolumeUnpublished) {
            return Owner.of(entityId, null);
        }
        if (event instanceof VolumeEvent) {
            return before.volume() == null ? Owner.of(entityId, before.node()) : before;
        }
        return before;
    }

    /** The node an event itself names, without any history; null if none. */
    public static String namedNode(String entityId, Object event) {
        Owner o = after(entityId, event, Owner.NONE);
        return o.node();
    }

    /** Whether {@code event} may change its entity's owner, i.e. whether the projection must store the new one. */
    static boolean changes(Object event) {
        return event instanceof NodeEvent.NodeRegistered || event instanceof PoolEvent.PoolCreated
                || event instanceof ReplicaEvent.ReplicaCreated || event instanceof NexusEvent.NexusCreated
                || event instanceof VolumeEvent.VolumeCreated || event instanceof VolumeEvent.VolumePublished
                || event instanceof VolumeEvent.VolumeUnpublished;
    }
}
