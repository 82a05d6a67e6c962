package io.caspian.control.entity.nexus;

import io.caspian.control.entity.LifecycleCodec;
import io.caspian.control.entity.Reply;
import io.caspian.events.Enums;
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
import io.caspian.events.proto.control.SetChildState;
import java.util.List;
import java.util.Set;
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
        var b = NexusCreated.newBuilder().setNode(s.node()).setSize(s.size()).setVolume(s.volume())
                .setGeneration(s.generation());
        s.children().forEach(c -> b.addChildren(toProto(c)));
        return b.build();
    }

    private static NexusSpec spec(NexusCreated p) {
        return new NexusSpec(p.getNode(), p.getSize(), p.getVolume(), children(p.getChildrenList()),
                p.getGeneration());
    }

    private static io.caspian.events.proto.control.BusMark toProto(BusMark m) {
        return io.caspian.events.proto.control.BusMark.newBuilder().setNode(m.node()).setTopic(m.topic())
                .setSource(m.source()).setSeq(m.seq()).setTimeMillis(m.timeMillis()).build();
    }

    private static BusMark fromProto(io.caspian.events.proto.control.BusMark p) {
        return p.getSeq() == 0 ? BusMark.NONE
                : new BusMark(p.getNode(), p.getTopic(), p.getSource(), p.getSeq(), p.getTimeMillis());
    }

    // Constant by constant, never by ordinal; no default, so a new result does not compile until it is mapped.
    private static io.caspian.events.proto.control.RebuildResult toProto(RebuildResult r) {
        return switch (r) {
            case UNKNOWN -> io.caspian.events.proto.control.RebuildResult.REBUILD_RESULT_UNKNOWN;
            case COMPLETED -> io.caspian.events.proto.control.RebuildResult.REBUILD_RESULT_COMPLETED;
            case FAILED -> io.caspian.events.proto.control.RebuildResult.REBUILD_RESULT_FAILED;
            case STOPPED -> io.caspian.events.proto.control.RebuildResult.REBUILD_RESULT_STOPPED;
        };
    }

    private static RebuildResult fromProto(io.caspian.events.proto.control.RebuildResult r) {
        return switch (r) {
            case REBUILD_RESULT_UNKNOWN, UNRECOGNIZED -> RebuildResult.UNKNOWN;
            case REBUILD_RESULT_COMPLETED -> RebuildResult.COMPLETED;
            case REBUILD_RESULT_FAILED -> RebuildResult.FAILED;
            case REBUILD_RESULT_STOPPED -> RebuildResult.STOPPED;
        };
    }

    private static io.caspian.events.proto.control.RebuildStarted rebuildStarted(String uri, String source,
                                                                                  boolean partial, BusMark mark) {
        return io.caspian.events.proto.control.RebuildStarted.newBuilder().setUri(uri).setSource(source)
                .setPartial(partial).setMark(toProto(mark)).build();
    }

    private static io.caspian.events.proto.control.RebuildFinished rebuildFinished(String uri, RebuildResult result,
                                                                                    String cause, BusMark mark) {
        return io.caspian.events.proto.control.RebuildFinished.newBuilder().setUri(uri).setResult(toProto(result))
                .setCause(cause).setMark(toProto(mark)).build();
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
            b.setChildFaulted(ChildFaulted.newBuilder().setUri(x.uri()).setReason(x.reason())
                    .setMark(toProto(x.mark())));
        } else if (e instanceof NexusEvent.ChildDegraded x) {
            b.setChildDegraded(ChildDegraded.newBuilder().setUri(x.uri()).setReason(x.reason())
                    .setMark(toProto(x.mark())));
        } else if (e instanceof NexusEvent.ChildOnline x) {
            b.setChildOnline(ChildOnline.newBuilder().setUri(x.uri()).setMark(toProto(x.mark())));
        } else if (e instanceof NexusEvent.RebuildStarted x) {
            b.setRebuildStarted(rebuildStarted(x.uri(), x.source(), x.partial(), x.mark()));
        } else if (e instanceof NexusEvent.RebuildFinished x) {
            b.setRebuildFinished(rebuildFinished(x.uri(), x.result(), x.cause(), x.mark()));
        } else if (e instanceof NexusEvent.NexusStatusChanged x) {
            b.setStatusChanged(NexusStatusChanged.newBuilder().setStatus(Enums.toProto(x.status())));
        } else if (e instanceof NexusEvent.NexusDestroyed) {
            b.setDestroyed(NexusDestroyed.getDefaultInstance());
        } else {
            // Unreachable while every permitted subclass has a branch; the codec round-trip test walks them all.
            throw new IllegalArgumentException("no protobuf mapping for " + e.getClass().getName());
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
                    p.getChildFaulted().getReason(), fromProto(p.getChildFaulted().getMark()));
            case CHILD_DEGRADED -> new NexusEvent.ChildDegraded(p.getChildDegraded().getUri(),
                    p.getChildDegraded().getReason(), fromProto(p.getChildDegraded().getMark()));
            case CHILD_ONLINE -> new NexusEvent.ChildOnline(p.getChildOnline().getUri(),
                    fromProto(p.getChildOnline().getMark()));
            case REBUILD_STARTED -> {
                var x = p.getRebuildStarted();
                yield new NexusEvent.RebuildStarted(x.getUri(), x.getSource(), x.getPartial(), fromProto(x.getMark()));
            }
            case REBUILD_FINISHED -> {
                var x = p.getRebuildFinished();
                yield new NexusEvent.RebuildFinished(x.getUri(), fromProto(x.getResult()), x.getCause(),
                        fromProto(x.getMark()));
            }
            case STATUS_CHANGED -> new NexusEvent.NexusStatusChanged(Enums.fromProto(p.getStatusChanged().getStatus()));
            case DESTROYED -> new NexusEvent.NexusDestroyed();
            case EVENT_NOT_SET -> throw new IllegalArgumentException("nexus event without an event");
        };
    }

    public static io.caspian.events.proto.control.NexusState toProto(NexusState s) {
        var b = io.caspian.events.proto.control.NexusState.newBuilder().setId(s.id())
                .setLifecycle(LifecycleCodec.toProto(s.lifecycle())).setNode(s.node()).setSize(s.size()).setVolume(s.volume())
                .setProtocol(Enums.toProto(s.protocol())).setDeviceUri(s.deviceUri())
                .setStatus(Enums.toProto(s.status())).setGeneration(s.generation());
        s.children().forEach(c -> b.addChildren(toProto(c)));
        s.marks().values().forEach(m -> b.addMarks(toProto(m)));
        b.addAllRebuilding(new java.util.TreeSet<>(s.rebuilding()));
        return b.build();
    }

    public static NexusState fromProto(io.caspian.events.proto.control.NexusState p) {
        return new NexusState(p.getId(), LifecycleCodec.fromProto(p.getLifecycle()), p.getNode(), p.getSize(),
                p.getVolume(), children(p.getChildrenList()), Enums.fromProto(p.getProtocol()), p.getDeviceUri(),
                Enums.fromProto(p.getStatus()), p.getMarksList().stream().map(NexusCodec::fromProto)
                        .collect(java.util.stream.Collectors.toMap(BusMark::stream, m -> m, (a, c) -> c)),
                Set.copyOf(p.getRebuildingList()), p.getGeneration());
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
            b.setSetChildState(SetChildState.newBuilder().setUri(x.uri()).setState(Enums.toProto(x.state()))
                    .setReason(x.reason()).setMark(toProto(x.mark())));
        } else if (c instanceof NexusCommand.NoteRebuildStarted x) {
            b.setNoteRebuildStarted(rebuildStarted(x.uri(), x.source(), x.partial(), x.mark()));
        } else if (c instanceof NexusCommand.NoteRebuildFinished x) {
            b.setNoteRebuildFinished(rebuildFinished(x.uri(), x.result(), x.cause(), x.mark()));
        } else if (c instanceof NexusCommand.SetStatus x) {
            b.setSetStatus(NexusStatusChanged.newBuilder().setStatus(Enums.toProto(x.status())));
        } else if (c instanceof NexusCommand.Get) {
            b.setGet(Empty.getDefaultInstance());
        } else {
            // Unreachable while every permitted subclass has a branch; the codec round-trip test walks them all.
            throw new IllegalArgumentException("no protobuf mapping for " + c.getClass().getName());
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
            case SET_CHILD_STATE -> {
                var x = p.getSetChildState();
                yield new NexusCommand.SetChildState(x.getUri(), Enums.fromProto(x.getState()), x.getReason(),
                        fromProto(x.getMark()), r);
            }
            case NOTE_REBUILD_STARTED -> {
                var x = p.getNoteRebuildStarted();
                yield new NexusCommand.NoteRebuildStarted(x.getUri(), x.getSource(), x.getPartial(),
                        fromProto(x.getMark()), r);
            }
            case NOTE_REBUILD_FINISHED -> {
                var x = p.getNoteRebuildFinished();
                yield new NexusCommand.NoteRebuildFinished(x.getUri(), fromProto(x.getResult()), x.getCause(),
                        fromProto(x.getMark()), r);
            }
            case SET_STATUS -> new NexusCommand.SetStatus(Enums.fromProto(p.getSetStatus().getStatus()), r);
            case GET -> new NexusCommand.Get(r);
            case COMMAND_NOT_SET -> throw new IllegalArgumentException("nexus command without a command");
        };
    }
}
