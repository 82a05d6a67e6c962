package io.caspian.control.entity.replica;

import io.caspian.control.entity.LifecycleCodec;
import io.caspian.control.entity.Reply;
import io.caspian.events.Enums;
import io.caspian.events.proto.control.Empty;
import io.caspian.events.proto.control.ReplicaCreated;
import io.caspian.events.proto.control.ReplicaDestroyed;
import io.caspian.events.proto.control.ReplicaShared;
import io.caspian.events.proto.control.ReplicaStatusChanged;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** Replica commands, events and state to protobuf ({@code caspian/control.proto}) and back. */
public final class ReplicaCodec {
    private ReplicaCodec() {
    }

    private static ReplicaCreated spec(ReplicaSpec s) {
        return ReplicaCreated.newBuilder().setPool(s.pool()).setNode(s.node()).setSize(s.size()).setThin(s.thin())
                .setVolume(s.volume()).build();
    }

    private static ReplicaSpec spec(ReplicaCreated p) {
        return new ReplicaSpec(p.getPool(), p.getNode(), p.getSize(), p.getThin(), p.getVolume());
    }

    private static ReplicaShared share(io.caspian.events.Protocol protocol, String uri) {
        return ReplicaShared.newBuilder().setProtocol(Enums.toProto(protocol)).setUri(uri).build();
    }

    public static io.caspian.events.proto.control.ReplicaEvent toProto(ReplicaEvent e) {
        var b = io.caspian.events.proto.control.ReplicaEvent.newBuilder();
        if (e instanceof ReplicaEvent.ReplicaCreated x) {
            b.setCreated(spec(x.spec()));
        } else if (e instanceof ReplicaEvent.ReplicaShared x) {
            b.setShared(share(x.protocol(), x.uri()));
        } else if (e instanceof ReplicaEvent.ReplicaStatusChanged x) {
            b.setStatusChanged(ReplicaStatusChanged.newBuilder().setStatus(Enums.toProto(x.status())));
        } else if (e instanceof ReplicaEvent.ReplicaDestroyed) {
            b.setDestroyed(ReplicaDestroyed.getDefaultInstance());
        } else {
            // Unreachable while every permitted subclass has a branch; the codec round-trip test walks them all.
            throw new IllegalArgumentException("no protobuf mapping for " + e.getClass().getName());
        }
        return b.build();
    }

    public static ReplicaEvent fromProto(io.caspian.events.proto.control.ReplicaEvent p) {
        return switch (p.getEventCase()) {
            case CREATED -> new ReplicaEvent.ReplicaCreated(spec(p.getCreated()));
            case SHARED -> new ReplicaEvent.ReplicaShared(Enums.fromProto(p.getShared().getProtocol()),
                    p.getShared().getUri());
            case STATUS_CHANGED -> new ReplicaEvent.ReplicaStatusChanged(
                    Enums.fromProto(p.getStatusChanged().getStatus()));
            case DESTROYED -> new ReplicaEvent.ReplicaDestroyed();
            case EVENT_NOT_SET -> throw new IllegalArgumentException("replica event without an event");
        };
    }

    public static io.caspian.events.proto.control.ReplicaState toProto(ReplicaState s) {
        return io.caspian.events.proto.control.ReplicaState.newBuilder().setId(s.id())
                .setLifecycle(LifecycleCodec.toProto(s.lifecycle())).setSpec(spec(s.spec()))
                .setShare(Enums.toProto(s.share())).setUri(s.uri()).setStatus(Enums.toProto(s.status())).build();
    }

    public static ReplicaState fromProto(io.caspian.events.proto.control.ReplicaState p) {
        return new ReplicaState(p.getId(), LifecycleCodec.fromProto(p.getLifecycle()), spec(p.getSpec()),
                Enums.fromProto(p.getShare()), p.getUri(), Enums.fromProto(p.getStatus()));
    }

    public static io.caspian.events.proto.control.ReplicaCommand toProto(ReplicaCommand c, ActorRefResolver refs) {
        var b = io.caspian.events.proto.control.ReplicaCommand.newBuilder()
                .setReplyTo(refs.toSerializationFormat(c.replyTo()));
        if (c instanceof ReplicaCommand.Create x) {
            b.setCreate(spec(x.spec()));
        } else if (c instanceof ReplicaCommand.Destroy) {
            b.setDestroy(Empty.getDefaultInstance());
        } else if (c instanceof ReplicaCommand.Share x) {
            b.setShare(share(x.protocol(), x.uri()));
        } else if (c instanceof ReplicaCommand.SetStatus x) {
            b.setSetStatus(ReplicaStatusChanged.newBuilder().setStatus(Enums.toProto(x.status())));
        } else if (c instanceof ReplicaCommand.Get) {
            b.setGet(Empty.getDefaultInstance());
        } else {
            // Unreachable while every permitted subclass has a branch; the codec round-trip test walks them all.
            throw new IllegalArgumentException("no protobuf mapping for " + c.getClass().getName());
        }
        return b.build();
    }

    public static ReplicaCommand fromProto(io.caspian.events.proto.control.ReplicaCommand p, ActorRefResolver refs) {
        ActorRef<Reply> r = refs.resolveActorRef(p.getReplyTo());
        return switch (p.getCommandCase()) {
            case CREATE -> new ReplicaCommand.Create(spec(p.getCreate()), r);
            case DESTROY -> new ReplicaCommand.Destroy(r);
            case SHARE -> new ReplicaCommand.Share(Enums.fromProto(p.getShare().getProtocol()), p.getShare().getUri(), r);
            case SET_STATUS -> new ReplicaCommand.SetStatus(Enums.fromProto(p.getSetStatus().getStatus()), r);
            case GET -> new ReplicaCommand.Get(r);
            case COMMAND_NOT_SET -> throw new IllegalArgumentException("replica command without a command");
        };
    }
}
