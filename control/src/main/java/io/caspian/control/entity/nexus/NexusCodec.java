package io.caspian.control.entity.nexus;

import io.caspian.control.entity.Lifecycle;
import io.caspian.control.entity.Reply;
import io.caspian.events.ChildState;
import io.caspian.events.Enums;
import io.caspian.events.proto.control.BusApplied;
import io.caspian.events.proto.control.ChildAdded;
import io.caspian.events.proto.control.ChildDegraded;
import io.caspian.events.proto.control.ChildFaulted;
import io.caspian.events.proto.control.ChildOnline;
import io.caspian.events.proto.control.ChildRemoved;
import io.caspian.events.proto.control.Empty;
import io.caspian.events.proto.control.NexusCreated;
import io.caspian.events.proto.control.NexusDestroyed;
import io.caspian.events.proto.control.NexusPublished;
import io.caspian.events.proto.control.NexusStatusChanged;
import io.caspian.events.proto.control.NexusUnpublished;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** Nexus commands, events and state to protobuf ({@code caspian/control.proto}) and back. */
public final class NexusCodec {
    private NexusCodec() {
    }

    private static io.caspian.events.proto.control.Child toProto(Child c) {
        return io.caspian.events.proto.control.Child.newBuilder().setUri(c.uri()).setReplica(c.replica())
                .setState(Enums.toProto(c.state())).setReason(c.reason()).build();
    }

    private static Child fromProto(io.caspian.events.proto.control.Child p) {
        return new Child(p.getUri(), p.getReplica(), Enums.fromProto(p.getState()), p.getReason());
    }

    private static List<Child> children(List<io.caspian.events.proto.control.Child> p) {
        return p.stream().map(NexusCodec::fromProto).toList();
    }

    private static NexusCreated spec(NexusSpec s) {
        var b = NexusCreated.newBuilder().setNode(s.node()).setSize(s.size()).setVolume(s.volume());
        s.children().forEach(c -> b.addChildren(toProto(c)));
        return b.build();
    }

    private static NexusSpec spec(NexusCreated p) {
        return new NexusSpec(p.getNode(), p.getSize(), p.getVolume(), children(p.getChildrenList()));
    }

    private static BusApplied busApplied(String stream, long seq, String uri, ChildState state, String reason) {
        return BusApplied.newBuilder().setStream(stream).setSeq(seq).setUri(uri).setState(Enums.toProto(state))
                .setReason(reason).build();
    }

    private static NexusPublished published(io.caspian.events.Protocol protocol, String deviceUri) {
        return NexusPublished.newBuilder().setProtocol(Enums.toProto(protocol)).setDeviceUri(deviceUri).build();
    }

    public static io.caspian.events.proto.control.NexusEvent toProto(NexusEvent e) {
        var b = io.caspian.events.proto.control.NexusEvent.newBuilder();
        if (e instanceof NexusEvent.NexusCreated x) {
            b.setCreated(spec(x.spec()));
        } else if (e instanceof NexusEvent.NexusPublished x) {
            b.setPublished(published(x.protocol(), x.deviceUri()));
        } else if (e instanceof NexusEvent.NexusUnpublished) {
            b.setUnpublished(NexusUnpublished.getDefaultInstance());
        } else if (e instanceof NexusEvent.ChildAdded x) {
            b.setChildAdded(ChildAdded.newBuilder().setChild(toProto(x.child())));
        } else if (e instanceof NexusEvent.ChildRemoved x) {
            b.setChildRemoved(ChildRemoved.newBuilder().setUri(x.uri()));
        } else if (e instanceof NexusEvent.ChildFaulted x) {
            b.setChildFaulted(ChildFaulted.newBuilder().setUri(x.uri()).setReason(x.reason()));
        } else if (e instanceof NexusEvent.ChildDegraded x) {
            b.setChildDegraded(ChildDegraded.newBuilder().setUri(x.uri()).setReason(x.reason()));
        } else if (e instanceof NexusEvent.ChildOnline x) {
            b.setChildOnline(ChildOnline.newBuilder().setUri(x.uri()));
        } else if (e instanceof NexusEvent.NexusStatusChanged x) {
            b.setStatusChanged(NexusStatusChanged.newBuilder().setStatus(Enums.toProto(x.status())));
        } else if (e instanceof NexusEvent.NexusDestroyed) {
            b.setDestroyed(NexusDestroyed.getDefaultInstance());
        } else if (e instanceof NexusEvent.BusApplied x) {
            b.setBusApplied(busApplied(x.stream(), x.seq(), x.uri(), x.state(), x.reason()));
        }
        return b.build();
    }

    public static NexusEvent fromProto(io.caspian.events.proto.control.NexusEvent p) {
        return switch (p.getEventCase()) {
            case CREATED -> new NexusEvent.NexusCreated(spec(p.getCreated()));
            case PUBLISHED -> new NexusEvent.NexusPublished(Enums.fromProto(p.getPublished().getProtocol()),
                    p.getPublished().getDeviceUri());
            case UNPUBLISHED -> new NexusEvent.NexusUnpublished();
            case CHILD_ADDED -> new NexusEvent.ChildAdded(fromProto(p.getChildAdded().getChild()));
            case CHILD_REMOVED -> new NexusEvent.ChildRemoved(p.getChildRemoved().getUri());
            case CHILD_FAULTED -> new NexusEvent.ChildFaulted(p.getChildFaulted().getUri(),
                    p.getChildFaulted().getReason());
            case CHILD_DEGRADED -> new NexusEvent.ChildDegraded(p.getChildDegraded().getUri(),
                    p.getChildDegraded().getReason());
            case CHILD_ONLINE -> new NexusEvent.ChildOnline(p.getChildOnline().getUri());
            case STATUS_CHANGED -> new NexusEvent.NexusStatusChanged(Enums.fromProto(p.getStatusChanged().getStatus()));
            case DESTROYED -> new NexusEvent.NexusDestroyed();
            case BUS_APPLIED -> {
                BusApplied x = p.getBusApplied();
                yield new NexusEvent.BusApplied(x.getStream(), x.getSeq(), x.getUri(), Enums.fromProto(x.getState()),
                        x.getReason());
            }
            case EVENT_NOT_SET -> throw new IllegalArgumentException("nexus event without an event");
        };
    }

    public static io.caspian.events.proto.control.NexusState toProto(NexusState s) {
        var b = io.caspian.events.proto.control.NexusState.newBuilder().setId(s.id())
                .setLifecycleValue(s.lifecycle().ordinal()).setNode(s.node()).setSize(s.size()).setVolume(s.volume())
                .setProtocol(Enums.toProto(s.protocol())).setDeviceUri(s.deviceUri())
                .setStatus(Enums.toProto(s.status()));
        s.children().forEach(c -> b.addChildren(toProto(c)));
        b.putAllBusMarks(s.busMarks());
        return b.build();
    }

    public static NexusState fromProto(io.caspian.events.proto.control.NexusState p) {
        return new NexusState(p.getId(), Lifecycle.values()[p.getLifecycleValue()], p.getNode(), p.getSize(),
                p.getVolume(), children(p.getChildrenList()), Enums.fromProto(p.getProtocol()), p.getDeviceUri(),
                Enums.fromProto(p.getStatus()), p.getBusMarksMap());
    }

    public static io.caspian.events.proto.control.NexusCommand toProto(NexusCommand c, ActorRefResolver refs) {
        var b = io.caspian.events.proto.control.NexusCommand.newBuilder()
                .setReplyTo(refs.toSerializationFormat(c.replyTo()));
        if (c instanceof NexusCommand.Create x) {
            b.setCreate(spec(x.spec()));
        } else if (c instanceof NexusCommand.Destroy) {
            b.setDestroy(Empty.getDefaultInstance());
        } else if (c instanceof NexusCommand.Publish x) {
            b.setPublish(published(x.protocol(), x.deviceUri()));
        } else if (c instanceof NexusCommand.Unpublish) {
            b.setUnpublish(Empty.getDefaultInstance());
        } else if (c instanceof NexusCommand.AddChild x) {
            b.setAddChild(ChildAdded.newBuilder().setChild(toProto(x.child())));
        } else if (c instanceof NexusCommand.RemoveChild x) {
            b.setRemoveChild(ChildRemoved.newBuilder().setUri(x.uri()));
        } else if (c instanceof NexusCommand.SetChildState x) {
            b.setSetChildState(toProto(new Child(x.uri(), "", x.state(), x.reason())));
        } else if (c instanceof NexusCommand.SetStatus x) {
            b.setSetStatus(NexusStatusChanged.newBuilder().setStatus(Enums.toProto(x.status())));
        } else if (c instanceof NexusCommand.Get) {
            b.setGet(Empty.getDefaultInstance());
        } else if (c instanceof NexusCommand.ApplyBus x) {
            b.setApplyBus(busApplied(x.stream(), x.seq(), x.uri(), x.state(), x.reason()));
        }
        return b.build();
    }

    public static NexusCommand fromProto(io.caspian.events.proto.control.NexusCommand p, ActorRefResolver refs) {
        ActorRef<Reply> r = refs.resolveActorRef(p.getReplyTo());
        return switch (p.getCommandCase()) {
            case CREATE -> new NexusCommand.Create(spec(p.getCreate()), r);
            case DESTROY -> new NexusCommand.Destroy(r);
            case PUBLISH -> new NexusCommand.Publish(Enums.fromProto(p.getPublish().getProtocol()),
                    p.getPublish().getDeviceUri(), r);
            case UNPUBLISH -> new NexusCommand.Unpublish(r);
            case ADD_CHILD -> new NexusCommand.AddChild(fromProto(p.getAddChild().getChild()), r);
            case REMOVE_CHILD -> new NexusCommand.RemoveChild(p.getRemoveChild().getUri(), r);
            case SET_CHILD_STATE -> new NexusCommand.SetChildState(p.getSetChildState().getUri(),
                    Enums.fromProto(p.getSetChildState().getState()), p.getSetChildState().getReason(), r);
            case SET_STATUS -> new NexusCommand.SetStatus(Enums.fromProto(p.getSetStatus().getStatus()), r);
            case GET -> new NexusCommand.Get(r);
            case APPLY_BUS -> {
                BusApplied x = p.getApplyBus();
                yield new NexusCommand.ApplyBus(x.getStream(), x.getSeq(), x.getUri(), Enums.fromProto(x.getState()),
                        x.getReason(), r);
            }
            case COMMAND_NOT_SET -> throw new IllegalArgumentException("nexus command without a command");
        };
    }
}
