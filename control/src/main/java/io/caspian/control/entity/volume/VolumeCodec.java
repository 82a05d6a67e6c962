package io.caspian.control.entity.volume;

import io.caspian.control.entity.LifecycleCodec;
import io.caspian.control.entity.Reply;
import io.caspian.events.Enums;
import io.caspian.events.proto.control.Empty;
import io.caspian.events.proto.control.ReplicaCountChanged;
import io.caspian.events.proto.control.VolumeCreated;
import io.caspian.events.proto.control.VolumeDestroyed;
import io.caspian.events.proto.control.VolumePublished;
import io.caspian.events.proto.control.VolumeReplicaAdded;
import io.caspian.events.proto.control.VolumeReplicaRemoved;
import io.caspian.events.proto.control.VolumeStatusChanged;
import io.caspian.events.proto.control.VolumeUnpublished;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** Volume commands, events and state to protobuf ({@code caspian/control.proto}) and back. */
public final class VolumeCodec {
    private VolumeCodec() {
    }

    public static io.caspian.events.proto.control.VolumeSpec toProto(VolumeSpec s) {
        return io.caspian.events.proto.control.VolumeSpec.newBuilder().setSize(s.size()).setReplicas(s.replicas())
                .setThin(s.thin()).putAllNodeLabels(s.nodeLabels()).putAllPoolLabels(s.poolLabels()).build();
    }

    public static VolumeSpec fromProto(io.caspian.events.proto.control.VolumeSpec p) {
        return new VolumeSpec(p.getSize(), p.getReplicas(), p.getThin(), p.getNodeLabelsMap(), p.getPoolLabelsMap());
    }

    public static io.caspian.events.proto.control.VolumeEvent toProto(VolumeEvent e) {
        var b = io.caspian.events.proto.control.VolumeEvent.newBuilder();
        if (e instanceof VolumeEvent.VolumeCreated x) {
            b.setCreated(VolumeCreated.newBuilder().setSpec(toProto(x.spec())));
        } else if (e instanceof VolumeEvent.ReplicaCountChanged x) {
            b.setReplicaCountChanged(ReplicaCountChanged.newBuilder().setReplicas(x.replicas()));
        } else if (e instanceof VolumeEvent.VolumeReplicaAdded x) {
            b.setReplicaAdded(VolumeReplicaAdded.newBuilder().setReplica(x.replica()));
        } else if (e instanceof VolumeEvent.VolumeReplicaRemoved x) {
            b.setReplicaRemoved(VolumeReplicaRemoved.newBuilder().setReplica(x.replica()));
        } else if (e instanceof VolumeEvent.VolumePublished x) {
            b.setPublished(published(x.nexus(), x.node(), x.protocol(), x.deviceUri(), x.hosts()));
        } else if (e instanceof VolumeEvent.VolumeUnpublished) {
            b.setUnpublished(VolumeUnpublished.getDefaultInstance());
        } else if (e instanceof VolumeEvent.VolumeStatusChanged x) {
            b.setStatusChanged(VolumeStatusChanged.newBuilder().setStatus(Enums.toProto(x.status())).setReason(x.reason()));
        } else if (e instanceof VolumeEvent.VolumeDestroyed) {
            b.setDestroyed(VolumeDestroyed.getDefaultInstance());
        } else {
            // Unreachable while every permitted subclass has a branch; the codec round-trip test walks them all.
            throw new IllegalArgumentException("no protobuf mapping for " + e.getClass().getName());
        }
        return b.build();
    }

    public static VolumeEvent fromProto(io.caspian.events.proto.control.VolumeEvent p) {
        return switch (p.getEventCase()) {
            case CREATED -> new VolumeEvent.VolumeCreated(fromProto(p.getCreated().getSpec()));
            case REPLICA_COUNT_CHANGED -> new VolumeEvent.ReplicaCountChanged(p.getReplicaCountChanged().getReplicas());
            case REPLICA_ADDED -> new VolumeEvent.VolumeReplicaAdded(p.getReplicaAdded().getReplica());
            case REPLICA_REMOVED -> new VolumeEvent.VolumeReplicaRemoved(p.getReplicaRemoved().getReplica());
            case PUBLISHED -> new VolumeEvent.VolumePublished(p.getPublished().getNexus(), p.getPublished().getNode(),
                    Enums.fromProto(p.getPublished().getProtocol()), p.getPublished().getDeviceUri(),
                    p.getPublished().getHostsList());
            case UNPUBLISHED -> new VolumeEvent.VolumeUnpublished();
            case STATUS_CHANGED -> new VolumeEvent.VolumeStatusChanged(Enums.fromProto(p.getStatusChanged().getStatus()),
                    p.getStatusChanged().getReason());
            case DESTROYED -> new VolumeEvent.VolumeDestroyed();
            case EVENT_NOT_SET -> throw new IllegalArgumentException("volume event without an event");
        };
    }

    public static io.caspian.events.proto.control.VolumeState toProto(VolumeState s) {
        return io.caspian.events.proto.control.VolumeState.newBuilder().setId(s.id())
                .setLifecycle(LifecycleCodec.toProto(s.lifecycle())).setSpec(toProto(s.spec())).addAllReplicas(s.replicas())
                .setNexus(s.nexus()).setTargetNode(s.targetNode()).setProtocol(Enums.toProto(s.protocol()))
                .setDeviceUri(s.deviceUri()).addAllHosts(s.hosts()).setStatus(Enums.toProto(s.status()))
                .setReason(s.reason()).build();
    }

    public static VolumeState fromProto(io.caspian.events.proto.control.VolumeState p) {
        return new VolumeState(p.getId(), LifecycleCodec.fromProto(p.getLifecycle()), fromProto(p.getSpec()),
                p.getReplicasList(), p.getNexus(), p.getTargetNode(), Enums.fromProto(p.getProtocol()),
                p.getDeviceUri(), p.getHostsList(), Enums.fromProto(p.getStatus()), p.getReason());
    }

    public static io.caspian.events.proto.control.VolumeCommand toProto(VolumeCommand c, ActorRefResolver refs) {
        var b = io.caspian.events.proto.control.VolumeCommand.newBuilder()
                .setReplyTo(refs.toSerializationFormat(c.replyTo()));
        if (c instanceof VolumeCommand.Create x) {
            b.setCreate(VolumeCreated.newBuilder().setSpec(toProto(x.spec())));
        } else if (c instanceof VolumeCommand.Destroy) {
            b.setDestroy(Empty.getDefaultInstance());
        } else if (c instanceof VolumeCommand.SetReplicaCount x) {
            b.setSetReplicaCount(ReplicaCountChanged.newBuilder().setReplicas(x.replicas()));
        } else if (c instanceof VolumeCommand.AddReplica x) {
            b.setAddReplica(VolumeReplicaAdded.newBuilder().setReplica(x.replica()));
        } else if (c instanceof VolumeCommand.RemoveReplica x) {
            b.setRemoveReplica(VolumeReplicaRemoved.newBuilder().setReplica(x.replica()));
        } else if (c instanceof VolumeCommand.Publish x) {
            b.setPublish(published(x.nexus(), x.node(), x.protocol(), x.deviceUri(), x.hosts()));
        } else if (c instanceof VolumeCommand.Unpublish) {
            b.setUnpublish(Empty.getDefaultInstance());
        } else if (c instanceof VolumeCommand.SetStatus x) {
            b.setSetStatus(VolumeStatusChanged.newBuilder().setStatus(Enums.toProto(x.status())).setReason(x.reason()));
        } else if (c instanceof VolumeCommand.Get) {
            b.setGet(Empty.getDefaultInstance());
        } else {
            // Unreachable while every permitted subclass has a branch; the codec round-trip test walks them all.
            throw new IllegalArgumentException("no protobuf mapping for " + c.getClass().getName());
        }
        return b.build();
    }

    public static VolumeCommand fromProto(io.caspian.events.proto.control.VolumeCommand p, ActorRefResolver refs) {
        ActorRef<Reply> r = refs.resolveActorRef(p.getReplyTo());
        return switch (p.getCommandCase()) {
            case CREATE -> new VolumeCommand.Create(fromProto(p.getCreate().getSpec()), r);
            case DESTROY -> new VolumeCommand.Destroy(r);
            case SET_REPLICA_COUNT -> new VolumeCommand.SetReplicaCount(p.getSetReplicaCount().getReplicas(), r);
            case ADD_REPLICA -> new VolumeCommand.AddReplica(p.getAddReplica().getReplica(), r);
            case REMOVE_REPLICA -> new VolumeCommand.RemoveReplica(p.getRemoveReplica().getReplica(), r);
            case PUBLISH -> new VolumeCommand.Publish(p.getPublish().getNexus(), p.getPublish().getNode(),
                    Enums.fromProto(p.getPublish().getProtocol()), p.getPublish().getDeviceUri(),
                    p.getPublish().getHostsList(), r);
            case UNPUBLISH -> new VolumeCommand.Unpublish(r);
            case SET_STATUS -> new VolumeCommand.SetStatus(Enums.fromProto(p.getSetStatus().getStatus()),
                    p.getSetStatus().getReason(), r);
            case GET -> new VolumeCommand.Get(r);
            case COMMAND_NOT_SET -> throw new IllegalArgumentException("volume command without a command");
        };
    }

    private static VolumePublished published(String nexus, String node, io.caspian.events.Protocol protocol,
                                             String deviceUri, java.util.List<String> hosts) {
        return VolumePublished.newBuilder().setNexus(nexus).setNode(node).setProtocol(Enums.toProto(protocol))
                .setDeviceUri(deviceUri).addAllHosts(hosts).build();
    }
}
