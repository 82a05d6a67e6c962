package io.caspian.control.readmodel;

import com.google.protobuf.InvalidProtocolBufferException;
import io.caspian.control.entity.ControlEntity;
import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.EntityState;
import io.caspian.control.entity.nexus.NexusCodec;
import io.caspian.control.entity.nexus.NexusEntity;
import io.caspian.control.entity.nexus.NexusEvent;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.node.NodeCodec;
import io.caspian.control.entity.node.NodeEntity;
import io.caspian.control.entity.node.NodeEvent;
import io.caspian.control.entity.node.NodeState;
import io.caspian.control.entity.pool.PoolCodec;
import io.caspian.control.entity.pool.PoolEntity;
import io.caspian.control.entity.pool.PoolEvent;
import io.caspian.control.entity.pool.PoolState;
import io.caspian.control.entity.replica.ReplicaCodec;
import io.caspian.control.entity.replica.ReplicaEntity;
import io.caspian.control.entity.replica.ReplicaEvent;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.entity.volume.VolumeCodec;
import io.caspian.control.entity.volume.VolumeEntity;
import io.caspian.control.entity.volume.VolumeEvent;
import io.caspian.control.entity.volume.VolumeState;
import java.util.List;
import java.util.function.Function;

/**
 * One entity type as the read model keeps it. The state is changed by the entity's own event handler, so that a
 * row cannot drift from what the entity itself would hold, and stored with the codec its snapshots use.
 *
 * @param tag       the tag its events carry, which names its projection
 * @param entity    an instance of the entity for an id: its empty state and event handler (no actor behind it)
 * @param events    its event family
 * @param encode    the state as stored
 * @param decode    the stored state back
 * @param pool      the pool a state lives in (replicas; null for the others), kept in an indexed column
 * @param <E>       its event family
 * @param <S>       its state
 */
public record ModelKind<E, S extends EntityState>(String tag, Function<String, ControlEntity<?, E, S>> entity,
                                                  Class<E> events, Function<S, byte[]> encode, Decoder<S> decode,
                                                  Function<S, String> pool) {

    /** Parses a stored state. */
    @FunctionalInterface
    public interface Decoder<S> {
        S decode(byte[] bytes) throws InvalidProtocolBufferException;
    }

    public static final ModelKind<NodeEvent, NodeState> NODE = new ModelKind<>(NodeEntity.TAG,
            id -> (NodeEntity) NodeEntity.create(id, EntitySettings.DEFAULT), NodeEvent.class,
            s -> NodeCodec.toProto(s).toByteArray(),
            b -> NodeCodec.fromProto(io.caspian.events.proto.control.NodeState.parseFrom(b)), s -> null);
    public static final ModelKind<PoolEvent, PoolState> POOL = new ModelKind<>(PoolEntity.TAG,
            id -> (PoolEntity) PoolEntity.create(id, EntitySettings.DEFAULT), PoolEvent.class,
            s -> PoolCodec.toProto(s).toByteArray(),
            b -> PoolCodec.fromProto(io.caspian.events.proto.control.PoolState.parseFrom(b)), s -> null);
    public static final ModelKind<ReplicaEvent, ReplicaState> REPLICA = new ModelKind<>(ReplicaEntity.TAG,
            id -> (ReplicaEntity) ReplicaEntity.create(id, EntitySettings.DEFAULT), ReplicaEvent.class,
            s -> ReplicaCodec.toProto(s).toByteArray(),
            b -> ReplicaCodec.fromProto(io.caspian.events.proto.control.ReplicaState.parseFrom(b)),
            s -> s.spec().pool());
    public static final ModelKind<NexusEvent, NexusState> NEXUS = new ModelKind<>(NexusEntity.TAG,
            id -> (NexusEntity) NexusEntity.create(id, EntitySettings.DEFAULT), NexusEvent.class,
            s -> NexusCodec.toProto(s).toByteArray(),
            b -> NexusCodec.fromProto(io.caspian.events.proto.control.NexusState.parseFrom(b)), s -> null);
    public static final ModelKind<VolumeEvent, VolumeState> VOLUME = new ModelKind<>(VolumeEntity.TAG,
            id -> (VolumeEntity) VolumeEntity.create(id, EntitySettings.DEFAULT), VolumeEvent.class,
            s -> VolumeCodec.toProto(s).toByteArray(),
            b -> VolumeCodec.fromProto(io.caspian.events.proto.control.VolumeState.parseFrom(b)), s -> null);

    /** Every kind, one projection instance each. */
    public static final List<ModelKind<?, ?>> ALL = List.of(NODE, POOL, REPLICA, NEXUS, VOLUME);

    public static ModelKind<?, ?> forTag(String tag) {
        return ALL.stream().filter(k -> k.tag.equals(tag)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no entity type has tag '" + tag + "'"));
    }

    public S empty(String id) {
        return entity.apply(id).emptyState();
    }

    /** The state after {@code event}, as the entity's event handler makes it. */
    public S apply(S state, Object event) {
        return entity.apply(state.id()).eventHandler().apply(state, events.cast(event));
    }

    public S decoded(byte[] bytes) {
        try {
            return decode.decode(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("the read model holds an unreadable " + tag + " state: "
                    + e.getMessage(), e);
        }
    }
}
