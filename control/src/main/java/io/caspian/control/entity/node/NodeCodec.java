package io.caspian.control.entity.node;

import io.caspian.control.entity.LifecycleCodec;
import io.caspian.control.entity.Reply;
import io.caspian.events.proto.control.Empty;
import io.caspian.events.proto.control.NodeCameOnline;
import io.caspian.events.proto.control.NodeCordoned;
import io.caspian.events.proto.control.NodeRegistered;
import io.caspian.events.proto.control.NodeUncordoned;
import io.caspian.events.proto.control.NodeWentOffline;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** Node commands, events and state to protobuf ({@code caspian/control.proto}) and back. */
public final class NodeCodec {
    private NodeCodec() {
    }

    public static io.caspian.events.proto.control.NodeEvent toProto(NodeEvent e) {
        var b = io.caspian.events.proto.control.NodeEvent.newBuilder();
        if (e instanceof NodeEvent.NodeRegistered x) {
            b.setRegistered(NodeRegistered.newBuilder().setEndpoint(x.endpoint()).putAllLabels(x.labels()));
        } else if (e instanceof NodeEvent.NodeCameOnline) {
            b.setCameOnline(NodeCameOnline.getDefaultInstance());
        } else if (e instanceof NodeEvent.NodeWentOffline) {
            b.setWentOffline(NodeWentOffline.getDefaultInstance());
        } else if (e instanceof NodeEvent.NodeCordoned) {
            b.setCordoned(NodeCordoned.getDefaultInstance());
        } else if (e instanceof NodeEvent.NodeUncordoned) {
            b.setUncordoned(NodeUncordoned.getDefaultInstance());
        } else {
            // Unreachable while every permitted subclass has a branch; the codec round-trip test walks them all.
            throw new IllegalArgumentException("no protobuf mapping for " + e.getClass().getName());
        }
        return b.build();
    }

    public static NodeEvent fromProto(io.caspian.events.proto.control.NodeEvent p) {
        return switch (p.getEventCase()) {
            case REGISTERED -> new NodeEvent.NodeRegistered(p.getRegistered().getEndpoint(),
                    p.getRegistered().getLabelsMap());
            case CAME_ONLINE -> new NodeEvent.NodeCameOnline();
            case WENT_OFFLINE -> new NodeEvent.NodeWentOffline();
            case CORDONED -> new NodeEvent.NodeCordoned();
            case UNCORDONED -> new NodeEvent.NodeUncordoned();
            case EVENT_NOT_SET -> throw new IllegalArgumentException("node event without an event");
        };
    }

    public static io.caspian.events.proto.control.NodeState toProto(NodeState s) {
        return io.caspian.events.proto.control.NodeState.newBuilder().setId(s.id())
                .setLifecycle(LifecycleCodec.toProto(s.lifecycle())).setEndpoint(s.endpoint()).putAllLabels(s.labels())
                .setOnline(s.online()).setCordoned(s.cordoned()).build();
    }

    public static NodeState fromProto(io.caspian.events.proto.control.NodeState p) {
        return new NodeState(p.getId(), LifecycleCodec.fromProto(p.getLifecycle()), p.getEndpoint(),
                p.getLabelsMap(), p.getOnline(), p.getCordoned());
    }

    public static io.caspian.events.proto.control.NodeCommand toProto(NodeCommand c, ActorRefResolver refs) {
        var b = io.caspian.events.proto.control.NodeCommand.newBuilder()
                .setReplyTo(refs.toSerializationFormat(c.replyTo()));
        if (c instanceof NodeCommand.Register x) {
            b.setRegister(NodeRegistered.newBuilder().setEndpoint(x.endpoint()).putAllLabels(x.labels()));
        } else if (c instanceof NodeCommand.MarkOnline) {
            b.setMarkOnline(Empty.getDefaultInstance());
        } else if (c instanceof NodeCommand.MarkOffline) {
            b.setMarkOffline(Empty.getDefaultInstance());
        } else if (c instanceof NodeCommand.Cordon) {
            b.setCordon(Empty.getDefaultInstance());
        } else if (c instanceof NodeCommand.Uncordon) {
            b.setUncordon(Empty.getDefaultInstance());
        } else if (c instanceof NodeCommand.Get) {
            b.setGet(Empty.getDefaultInstance());
        } else {
            // Unreachable while every permitted subclass has a branch; the codec round-trip test walks them all.
            throw new IllegalArgumentException("no protobuf mapping for " + c.getClass().getName());
        }
        return b.build();
    }

    public static NodeCommand fromProto(io.caspian.events.proto.control.NodeCommand p, ActorRefResolver refs) {
        ActorRef<Reply> r = refs.resolveActorRef(p.getReplyTo());
        return switch (p.getCommandCase()) {
            case REGISTER -> new NodeCommand.Register(p.getRegister().getEndpoint(), p.getRegister().getLabelsMap(), r);
            case MARK_ONLINE -> new NodeCommand.MarkOnline(r);
            case MARK_OFFLINE -> new NodeCommand.MarkOffline(r);
            case CORDON -> new NodeCommand.Cordon(r);
            case UNCORDON -> new NodeCommand.Uncordon(r);
            case GET -> new NodeCommand.Get(r);
            case COMMAND_NOT_SET -> throw new IllegalArgumentException("node command without a command");
        };
    }
}
