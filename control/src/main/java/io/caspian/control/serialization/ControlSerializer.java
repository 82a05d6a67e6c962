package io.caspian.control.serialization;

import com.google.protobuf.InvalidProtocolBufferException;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.node.NodeCodec;
import io.caspian.control.entity.node.NodeCommand;
import io.caspian.control.entity.node.NodeEvent;
import io.caspian.control.entity.node.NodeState;
import io.caspian.control.entity.nexus.NexusCodec;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusEvent;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.pool.PoolCodec;
import io.caspian.control.entity.pool.PoolCommand;
import io.caspian.control.entity.pool.PoolEvent;
import io.caspian.control.entity.pool.PoolState;
import io.caspian.control.entity.replica.ReplicaCodec;
import io.caspian.control.entity.replica.ReplicaCommand;
import io.caspian.control.entity.replica.ReplicaEvent;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.entity.volume.VolumeCodec;
import io.caspian.control.entity.volume.VolumeCommand;
import io.caspian.control.entity.volume.VolumeEvent;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.events.proto.control.Rejection;
import io.caspian.events.proto.control.RejectionKind;
import java.io.NotSerializableException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Pekko serializer for {@link io.caspian.control.entity.ControlMessage}. The manifest names the protobuf message
 * ("VolumeEvent", "PoolState", ...); journaled manifests must never change meaning, new ones may be added.
 */
public final class ControlSerializer extends SerializerWithStringManifest {
    private final ExtendedActorSystem system;
    private volatile ActorRefResolver refs;

    public ControlSerializer(ExtendedActorSystem system) {
        this.system = system;
    }

    @Override
    public int identifier() {
        return 7302;
    }

    @Override
    public String manifest(Object o) {
        if (o instanceof Reply) {
            return "Reply";
        }
        for (Class<?> family : FAMILIES) {
            if (family.isInstance(o)) {
                return family.getSimpleName();
            }
        }
        throw new IllegalArgumentException("not a control-plane message: " + o.getClass().getName());
    }

    private static final Class<?>[] FAMILIES = {
        NodeCommand.class, NodeEvent.class, NodeState.class,
        PoolCommand.class, PoolEvent.class, PoolState.class,
        ReplicaCommand.class, ReplicaEvent.class, ReplicaState.class,
        NexusCommand.class, NexusEvent.class, NexusState.class,
        VolumeCommand.class, VolumeEvent.class, VolumeState.class,
    };

    @Override
    public byte[] toBinary(Object o) {
        return toProto(o).toByteArray();
    }

    private com.google.protobuf.Message toProto(Object o) {
        if (o instanceof Reply r) {
            return toProto(r);
        } else if (o instanceof NodeCommand c) {
            return NodeCodec.toProto(c, refs());
        } else if (o instanceof NodeEvent e) {
            return NodeCodec.toProto(e);
        } else if (o instanceof NodeState s) {
            return NodeCodec.toProto(s);
        } else if (o instanceof PoolCommand c) {
            return PoolCodec.toProto(c, refs());
        } else if (o instanceof PoolEvent e) {
            return PoolCodec.toProto(e);
        } else if (o instanceof PoolState s) {
            return PoolCodec.toProto(s);
        } else if (o instanceof ReplicaCommand c) {
            return ReplicaCodec.toProto(c, refs());
        } else if (o instanceof ReplicaEvent e) {
            return ReplicaCodec.toProto(e);
        } else if (o instanceof ReplicaState s) {
            return ReplicaCodec.toProto(s);
        } else if (o instanceof NexusCommand c) {
            return NexusCodec.toProto(c, refs());
        } else if (o instanceof NexusEvent e) {
            return NexusCodec.toProto(e);
        } else if (o instanceof NexusState s) {
            return NexusCodec.toProto(s);
        } else if (o instanceof VolumeCommand c) {
            return VolumeCodec.toProto(c, refs());
        } else if (o instanceof VolumeEvent e) {
            return VolumeCodec.toProto(e);
        } else if (o instanceof VolumeState s) {
            return VolumeCodec.toProto(s);
        }
        throw new IllegalArgumentException("not a control-plane message: " + o.getClass().getName());
    }

    @Override
    public Object fromBinary(byte[] b, String manifest) throws NotSerializableException {
        try {
            return switch (manifest) {
                case "Reply" -> fromProto(io.caspian.events.proto.control.Reply.parseFrom(b));
                case "NodeCommand" -> NodeCodec.fromProto(io.caspian.events.proto.control.NodeCommand.parseFrom(b), refs());
                case "NodeEvent" -> NodeCodec.fromProto(io.caspian.events.proto.control.NodeEvent.parseFrom(b));
                case "NodeState" -> NodeCodec.fromProto(io.caspian.events.proto.control.NodeState.parseFrom(b));
                case "PoolCommand" -> PoolCodec.fromProto(io.caspian.events.proto.control.PoolCommand.parseFrom(b), refs());
                case "PoolEvent" -> PoolCodec.fromProto(io.caspian.events.proto.control.PoolEvent.parseFrom(b));
                case "PoolState" -> PoolCodec.fromProto(io.caspian.events.proto.control.PoolState.parseFrom(b));
                case "ReplicaCommand" -> ReplicaCodec.fromProto(
                        io.caspian.events.proto.control.ReplicaCommand.parseFrom(b), refs());
                case "ReplicaEvent" -> ReplicaCodec.fromProto(io.caspian.events.proto.control.ReplicaEvent.parseFrom(b));
                case "ReplicaState" -> ReplicaCodec.fromProto(io.caspian.events.proto.control.ReplicaState.parseFrom(b));
                case "NexusCommand" -> NexusCodec.fromProto(
                        io.caspian.events.proto.control.NexusCommand.parseFrom(b), refs());
                case "NexusEvent" -> NexusCodec.fromProto(io.caspian.events.proto.control.NexusEvent.parseFrom(b));
                case "NexusState" -> NexusCodec.fromProto(io.caspian.events.proto.control.NexusState.parseFrom(b));
                case "VolumeCommand" -> VolumeCodec.fromProto(
                        io.caspian.events.proto.control.VolumeCommand.parseFrom(b), refs());
                case "VolumeEvent" -> VolumeCodec.fromProto(io.caspian.events.proto.control.VolumeEvent.parseFrom(b));
                case "VolumeState" -> VolumeCodec.fromProto(io.caspian.events.proto.control.VolumeState.parseFrom(b));
                default -> throw new NotSerializableException("unknown control-plane manifest '" + manifest + "'");
            };
        } catch (InvalidProtocolBufferException e) {
            throw new NotSerializableException("corrupt control-plane message (" + manifest + "): " + e.getMessage());
        }
    }

    private static io.caspian.events.proto.control.Reply toProto(Reply r) {
        var b = io.caspian.events.proto.control.Reply.newBuilder();
        if (r instanceof Reply.Rejected x) {
            b.setRejected(Rejection.newBuilder().setKind(toProto(x.kind()))
                    .setMessage(x.message()));
        } else {
            Object s = ((Reply.Ok) r).state();
            if (s instanceof NodeState x) {
                b.setNode(NodeCodec.toProto(x));
            } else if (s instanceof PoolState x) {
                b.setPool(PoolCodec.toProto(x));
            } else if (s instanceof ReplicaState x) {
                b.setReplica(ReplicaCodec.toProto(x));
            } else if (s instanceof NexusState x) {
                b.setNexus(NexusCodec.toProto(x));
            } else if (s instanceof VolumeState x) {
                b.setVolume(VolumeCodec.toProto(x));
            } else {
                throw new IllegalArgumentException("reply with an unknown state: " + s.getClass().getName());
            }
        }
        return b.build();
    }

    private static Reply fromProto(io.caspian.events.proto.control.Reply p) {
        return switch (p.getReplyCase()) {
            case NODE -> Reply.ok(NodeCodec.fromProto(p.getNode()));
            case POOL -> Reply.ok(PoolCodec.fromProto(p.getPool()));
            case REPLICA -> Reply.ok(ReplicaCodec.fromProto(p.getReplica()));
            case NEXUS -> Reply.ok(NexusCodec.fromProto(p.getNexus()));
            case VOLUME -> Reply.ok(VolumeCodec.fromProto(p.getVolume()));
            case REJECTED -> new Reply.Rejected(fromProto(p.getRejected().getKind()),
                    p.getRejected().getMessage());
            case REPLY_NOT_SET -> throw new IllegalArgumentException("reply without content");
        };
    }

    // Constant by constant, never by ordinal; no default, so a new kind does not compile until it is mapped.
    private static RejectionKind toProto(Reply.Kind k) {
        return switch (k) {
            case NOT_FOUND -> RejectionKind.REJECTION_NOT_FOUND;
            case CONFLICT -> RejectionKind.REJECTION_CONFLICT;
            case INVALID -> RejectionKind.REJECTION_INVALID;
            case UNPROCESSABLE -> RejectionKind.REJECTION_UNPROCESSABLE;
            case UNAVAILABLE -> RejectionKind.REJECTION_UNAVAILABLE;
        };
    }

    private static Reply.Kind fromProto(RejectionKind k) {
        return switch (k) {
            case REJECTION_NOT_FOUND -> Reply.Kind.NOT_FOUND;
            case REJECTION_CONFLICT -> Reply.Kind.CONFLICT;
            case REJECTION_INVALID -> Reply.Kind.INVALID;
            case REJECTION_UNPROCESSABLE -> Reply.Kind.UNPROCESSABLE;
            // A refusal this version cannot classify: "try again later" is the answer that promises least.
            case REJECTION_UNAVAILABLE, REJECTION_UNSPECIFIED, UNRECOGNIZED -> Reply.Kind.UNAVAILABLE;
        };
    }

    // The resolver needs a fully started typed system, which does not exist yet when serializers are constructed.
    private ActorRefResolver refs() {
        ActorRefResolver r = refs;
        if (r == null) {
            r = ActorRefResolver.get(Adapter.toTyped(system));
            refs = r;
        }
        return r;
    }
}
