package io.caspian.control.entity.pool;

import io.caspian.control.entity.LifecycleCodec;
import io.caspian.control.entity.Reply;
import io.caspian.events.Enums;
import io.caspian.events.proto.control.Empty;
import io.caspian.events.proto.control.PoolCreated;
import io.caspian.events.proto.control.PoolDestroyed;
import io.caspian.events.proto.control.PoolStatusChanged;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** Pool commands, events and state to protobuf ({@code caspian/control.proto}) and back. */
public final class PoolCodec {
    private PoolCodec() {
    }

    private static PoolCreated spec(PoolSpec s) {
        return PoolCreated.newBuilder().setNode(s.node()).setDisk(s.disk()).putAllLabels(s.labels()).build();
    }

    private static PoolSpec spec(PoolCreated p) {
        return new PoolSpec(p.getNode(), p.getDisk(), p.getLabelsMap());
    }

    public static io.caspian.events.proto.control.PoolEvent toProto(PoolEvent e) {
        var b = io.caspian.events.proto.control.PoolEvent.newBuilder();
        if (e instanceof PoolEvent.PoolCreated x) {
            b.setCreated(spec(x.spec()));
        } else if (e instanceof PoolEvent.PoolStatusChanged x) {
            b.setStatusChanged(PoolStatusChanged.newBuilder().setStatus(Enums.toProto(x.status())).setReason(x.reason()));
        } else if (e instanceof PoolEvent.PoolDestroyed) {
            b.setDestroyed(PoolDestroyed.getDefaultInstance());
        } else {
            // Unreachable while every permitted subclass has a branch; the codec round-trip test walks them all.
            throw new IllegalArgumentException("no protobuf mapping for " + e.getClass().getName());
        }
        return b.build();
    }

    public static PoolEvent fromProto(io.caspian.events.proto.control.PoolEvent p) {
        return switch (p.getEventCase()) {
            case CREATED -> new PoolEvent.PoolCreated(spec(p.getCreated()));
            case STATUS_CHANGED -> new PoolEvent.PoolStatusChanged(Enums.fromProto(p.getStatusChanged().getStatus()),
                    p.getStatusChanged().getReason());
            case DESTROYED -> new PoolEvent.PoolDestroyed();
            case EVENT_NOT_SET -> throw new IllegalArgumentException("pool event without an event");
        };
    }

    public static io.caspian.events.proto.control.PoolState toProto(PoolState s) {
        return io.caspian.events.proto.control.PoolState.newBuilder().setId(s.id())
                .setLifecycle(LifecycleCodec.toProto(s.lifecycle())).setNode(s.spec().node()).setDisk(s.spec().disk())
                .putAllLabels(s.spec().labels()).setStatus(Enums.toProto(s.status())).setReason(s.reason()).build();
    }

    public static PoolState fromProto(io.caspian.events.proto.control.PoolState p) {
        return new PoolState(p.getId(), LifecycleCodec.fromProto(p.getLifecycle()),
                new PoolSpec(p.getNode(), p.getDisk(), p.getLabelsMap()), Enums.fromProto(p.getStatus()), p.getReason());
    }

    public static io.caspian.events.proto.control.PoolCommand toProto(PoolCommand c, ActorRefResolver refs) {
        var b = io.caspian.events.proto.control.PoolCommand.newBuilder()
                .setReplyTo(refs.toSerializationFormat(c.replyTo()));
        if (c instanceof PoolCommand.Create x) {
            b.setCreate(spec(x.spec()));
        } else if (c instanceof PoolCommand.Destroy) {
            b.setDestroy(Empty.getDefaultInstance());
        } else if (c instanceof PoolCommand.SetStatus x) {
            b.setSetStatus(PoolStatusChanged.newBuilder().setStatus(Enums.toProto(x.status())).setReason(x.reason()));
        } else if (c instanceof PoolCommand.Get) {
            b.setGet(Empty.getDefaultInstance());
        } else {
            // Unreachable while every permitted subclass has a branch; the codec round-trip test walks them all.
            throw new IllegalArgumentException("no protobuf mapping for " + c.getClass().getName());
        }
        return b.build();
    }

    public static PoolCommand fromProto(io.caspian.events.proto.control.PoolCommand p, ActorRefResolver refs) {
        ActorRef<Reply> r = refs.resolveActorRef(p.getReplyTo());
        return switch (p.getCommandCase()) {
            case CREATE -> new PoolCommand.Create(spec(p.getCreate()), r);
            case DESTROY -> new PoolCommand.Destroy(r);
            case SET_STATUS -> new PoolCommand.SetStatus(Enums.fromProto(p.getSetStatus().getStatus()),
                    p.getSetStatus().getReason(), r);
            case GET -> new PoolCommand.Get(r);
            case COMMAND_NOT_SET -> throw new IllegalArgumentException("pool command without a command");
        };
    }
}
