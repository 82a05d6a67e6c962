package io.caspian.events.ioengine;

import io.caspian.events.Enums;
import io.caspian.events.ioengine.IoEngineCommand.AddChild;
import io.caspian.events.ioengine.IoEngineCommand.CreateNexus;
import io.caspian.events.ioengine.IoEngineCommand.CreatePool;
import io.caspian.events.ioengine.IoEngineCommand.CreateReplica;
import io.caspian.events.ioengine.IoEngineCommand.DestroyNexus;
import io.caspian.events.ioengine.IoEngineCommand.DestroyPool;
import io.caspian.events.ioengine.IoEngineCommand.DestroyReplica;
import io.caspian.events.ioengine.IoEngineCommand.ImportPool;
import io.caspian.events.ioengine.IoEngineCommand.PublishNexus;
import io.caspian.events.ioengine.IoEngineCommand.Rebuild;
import io.caspian.events.ioengine.IoEngineCommand.RebuildAction;
import io.caspian.events.ioengine.IoEngineCommand.RemoveChild;
import io.caspian.events.ioengine.IoEngineCommand.SetErrorPolicy;
import io.caspian.events.ioengine.IoEngineCommand.SetRebuildRate;
import io.caspian.events.ioengine.IoEngineCommand.ShareReplica;
import io.caspian.events.ioengine.IoEngineCommand.SubscribeState;
import io.caspian.events.ioengine.IoEngineCommand.UnpublishNexus;
import io.caspian.events.proto.ioengine.Failure;
import io.caspian.events.proto.ioengine.Removed;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/** Converts the io-engine protocol records to their protobuf form and back; actor refs travel as strings. */
public final class IoEngineCodec {
    private final ActorRefResolver refs;

    public IoEngineCodec(ActorRefResolver refs) {
        this.refs = refs;
    }

    // ------------------------------------------------------------------ commands

    public io.caspian.events.proto.ioengine.IoEngineCommand toProto(IoEngineCommand command) {
        var b = io.caspian.events.proto.ioengine.IoEngineCommand.newBuilder();
        if (command.replyTo() != null) {
            b.setReplyTo(refs.toSerializationFormat(command.replyTo()));
        }
        if (command instanceof CreatePool c) {
            b.setCreatePool(io.caspian.events.proto.ioengine.CreatePool.newBuilder()
            .setName(c.name()).setUuid(c.uuid()).setDisk(c.disk()).setOverwrite(c.overwrite()));
        } else if (command instanceof ImportPool c) {
            b.setImportPool(io.caspian.events.proto.ioengine.ImportPool.newBuilder()
            .setName(c.name()).setUuid(c.uuid()).setDisk(c.disk()));
        } else if (command instanceof DestroyPool c) {
            b.setDestroyPool(io.caspian.events.proto.ioengine.DestroyPool.newBuilder()
            .setName(c.name()));
        } else if (command instanceof CreateReplica c) {
            b.setCreateReplica(io.caspian.events.proto.ioengine.CreateReplica.newBuilder()
            .setUuid(c.uuid()).setPool(c.pool()).setSize(c.size()).setThin(c.thin()));
        } else if (command instanceof DestroyReplica c) {
            b.setDestroyReplica(io.caspian.events.proto.ioengine.DestroyReplica.newBuilder()
            .setUuid(c.uuid()).setPool(c.pool()));
        } else if (command instanceof ShareReplica c) {
            b.setShareReplica(io.caspian.events.proto.ioengine.ShareReplica.newBuilder()
            .setUuid(c.uuid()).setProtocol(Enums.toProto(c.protocol()))
            .addAllAllowedHosts(new TreeSet<>(c.allowedHosts())));
        } else if (command instanceof CreateNexus c) {
            b.setCreateNexus(io.caspian.events.proto.ioengine.CreateNexus.newBuilder()
            .setUuid(c.uuid()).setSize(c.size()).addAllChildren(c.children()).setGeneration(c.generation()));
        } else if (command instanceof DestroyNexus c) {
            b.setDestroyNexus(io.caspian.events.proto.ioengine.DestroyNexus.newBuilder()
            .setUuid(c.uuid()));
        } else if (command instanceof PublishNexus c) {
            b.setPublishNexus(io.caspian.events.proto.ioengine.PublishNexus.newBuilder()
            .setUuid(c.uuid()).setProtocol(Enums.toProto(c.protocol()))
            .addAllAllowedHosts(new TreeSet<>(c.allowedHosts())));
        } else if (command instanceof UnpublishNexus c) {
            b.setUnpublishNexus(io.caspian.events.proto.ioengine.UnpublishNexus.newBuilder()
            .setUuid(c.uuid()));
        } else if (command instanceof AddChild c) {
            b.setAddChild(io.caspian.events.proto.ioengine.AddChild.newBuilder()
            .setNexus(c.nexus()).setUri(c.uri()));
        } else if (command instanceof RemoveChild c) {
            b.setRemoveChild(io.caspian.events.proto.ioengine.RemoveChild.newBuilder()
            .setNexus(c.nexus()).setUri(c.uri()));
        } else if (command instanceof Rebuild c) {
            b.setRebuild(io.caspian.events.proto.ioengine.Rebuild.newBuilder()
            .setNexus(c.nexus()).setUri(c.uri())
            .setAction(toProto(c.action())));
        } else if (command instanceof SetErrorPolicy c) {
            b.setSetErrorPolicy(io.caspian.events.proto.ioengine.SetErrorPolicy.newBuilder()
            .setNexus(c.nexus()).setErrorThreshold(c.errorThreshold()));
        } else if (command instanceof SetRebuildRate c) {
            b.setSetRebuildRate(io.caspian.events.proto.ioengine.SetRebuildRate.newBuilder()
            .setNexus(c.nexus()).setBytesPerSecond(c.bytesPerSecond()));
        } else if (command instanceof IoEngineCommand.InjectFault c) {
            b.setInjectFault(io.caspian.events.proto.ioengine.InjectFault.newBuilder()
            .setNexus(c.nexus()).setUri(c.uri())
            .setOp(toProto(c.op()))
            .setOffset(c.offset()).setLength(c.length()).setCount(c.count()));
        } else if (command instanceof IoEngineCommand.ClearFaults c) {
            b.setClearFaults(io.caspian.events.proto.ioengine.ClearFaults.newBuilder()
            .setNexus(c.nexus()).setUri(c.uri()));
        } else if (command instanceof IoEngineCommand.GetNexusStats c) {
            b.setGetNexusStats(io.caspian.events.proto.ioengine.GetNexusStats.newBuilder()
            .setNexus(c.nexus()));
        } else if (command instanceof SubscribeState c) {
            b.setSubscribeState(io.caspian.events.proto.ioengine.SubscribeState.newBuilder()
            .setSubscriber(refs.toSerializationFormat(c.subscriber())));
        } else {
            // Unreachable while every permitted subclass has a branch; the codec round-trip test walks them all.
            throw new IllegalArgumentException("no protobuf mapping for " + command.getClass().getName());
        }
        return b.build();
    }

    public IoEngineCommand fromProto(io.caspian.events.proto.ioengine.IoEngineCommand p) {
        ActorRef<IoEngineReply> r = p.getReplyTo().isEmpty() ? null : refs.resolveActorRef(p.getReplyTo());
        return switch (p.getCommandCase()) {
            case CREATE_POOL -> {
                var c = p.getCreatePool();
                yield new CreatePool(c.getName(), c.getUuid(), c.getDisk(), c.getOverwrite(), r);
            }
            case IMPORT_POOL -> {
                var c = p.getImportPool();
                yield new ImportPool(c.getName(), c.getUuid(), c.getDisk(), r);
            }
            case DESTROY_POOL -> new DestroyPool(p.getDestroyPool().getName(), r);
            case CREATE_REPLICA -> {
                var c = p.getCreateReplica();
                yield new CreateReplica(c.getUuid(), c.getPool(), c.getSize(), c.getThin(), r);
            }
            case DESTROY_REPLICA -> new DestroyReplica(p.getDestroyReplica().getUuid(), p.getDestroyReplica().getPool(), r);
            case SHARE_REPLICA -> new ShareReplica(p.getShareReplica().getUuid(),
                    Enums.fromProto(p.getShareReplica().getProtocol()),
                    Set.copyOf(p.getShareReplica().getAllowedHostsList()), r);
            case CREATE_NEXUS -> {
                var c = p.getCreateNexus();
                yield new CreateNexus(c.getUuid(), c.getSize(), c.getChildrenList(), c.getGeneration(), r);
            }
            case DESTROY_NEXUS -> new DestroyNexus(p.getDestroyNexus().getUuid(), r);
            case PUBLISH_NEXUS -> new PublishNexus(p.getPublishNexus().getUuid(),
                    Enums.fromProto(p.getPublishNexus().getProtocol()),
                    Set.copyOf(p.getPublishNexus().getAllowedHostsList()), r);
            case UNPUBLISH_NEXUS -> new UnpublishNexus(p.getUnpublishNexus().getUuid(), r);
            case ADD_CHILD -> new AddChild(p.getAddChild().getNexus(), p.getAddChild().getUri(), r);
            case REMOVE_CHILD -> new RemoveChild(p.getRemoveChild().getNexus(), p.getRemoveChild().getUri(), r);
            case REBUILD -> new Rebuild(p.getRebuild().getNexus(), p.getRebuild().getUri(),
                    fromProto(p.getRebuild().getAction()), r);
            case SET_ERROR_POLICY -> new SetErrorPolicy(p.getSetErrorPolicy().getNexus(),
                    p.getSetErrorPolicy().getErrorThreshold(), r);
            case SET_REBUILD_RATE -> new SetRebuildRate(p.getSetRebuildRate().getNexus(),
                    p.getSetRebuildRate().getBytesPerSecond(), r);
            case INJECT_FAULT -> {
                var c = p.getInjectFault();
                yield new IoEngineCommand.InjectFault(c.getNexus(), c.getUri(),
                        fromProto(c.getOp()), c.getOffset(), c.getLength(), c.getCount(), r);
            }
            case CLEAR_FAULTS -> new IoEngineCommand.ClearFaults(p.getClearFaults().getNexus(),
                    p.getClearFaults().getUri(), r);
            case GET_NEXUS_STATS -> new IoEngineCommand.GetNexusStats(p.getGetNexusStats().getNexus(), r);
            case SUBSCRIBE_STATE -> new SubscribeState(refs.resolveActorRef(p.getSubscribeState().getSubscriber()));
            case COMMAND_NOT_SET -> throw new IllegalArgumentException("io-engine command without a command");
        };
    }

    // ------------------------------------------------------------------ replies

    public io.caspian.events.proto.ioengine.IoEngineReply toProto(IoEngineReply reply) {
        var b = io.caspian.events.proto.ioengine.IoEngineReply.newBuilder();
        if (reply instanceof IoEngineReply.PoolDone d) {
            b.setPool(toProto(d.pool()));
        } else if (reply instanceof IoEngineReply.ReplicaDone d) {
            b.setReplica(toProto(d.replica()));
        } else if (reply instanceof IoEngineReply.NexusDone d) {
            b.setNexus(toProto(d.nexus()));
        } else if (reply instanceof IoEngineReply.Stats d) {
            b.setNexusStats(toProto(d.stats()));
        } else if (reply instanceof IoEngineReply.Removed d) {
            b.setRemoved(Removed.newBuilder().setId(d.id()));
        } else if (reply instanceof IoEngineReply.Failed f) {
            b.setFailure(Failure.newBuilder()
            .setKind(toProto(f.kind()))
            .setMessage(f.message()));
        } else {
            // Unreachable while every permitted subclass has a branch; the codec round-trip test walks them all.
            throw new IllegalArgumentException("no protobuf mapping for " + reply.getClass().getName());
        }
        return b.build();
    }

    public IoEngineReply fromProto(io.caspian.events.proto.ioengine.IoEngineReply p) {
        return switch (p.getReplyCase()) {
            case POOL -> new IoEngineReply.PoolDone(fromProto(p.getPool()));
            case REPLICA -> new IoEngineReply.ReplicaDone(fromProto(p.getReplica()));
            case NEXUS -> new IoEngineReply.NexusDone(fromProto(p.getNexus()));
            case NEXUS_STATS -> new IoEngineReply.Stats(fromProto(p.getNexusStats()));
            case REMOVED -> new IoEngineReply.Removed(p.getRemoved().getId());
            case FAILURE -> new IoEngineReply.Failed(fromProto(p.getFailure().getKind()),
                    p.getFailure().getMessage());
            case REPLY_NOT_SET -> throw new IllegalArgumentException("io-engine reply without a reply");
        };
    }

    // Constant by constant, never by ordinal; no default, so an unmapped constant does not compile.

    private static io.caspian.events.proto.ioengine.RebuildAction toProto(RebuildAction a) {
        return switch (a) {
            case START -> io.caspian.events.proto.ioengine.RebuildAction.REBUILD_START;
            case PAUSE -> io.caspian.events.proto.ioengine.RebuildAction.REBUILD_PAUSE;
            case RESUME -> io.caspian.events.proto.ioengine.RebuildAction.REBUILD_RESUME;
            case STOP -> io.caspian.events.proto.ioengine.RebuildAction.REBUILD_STOP;
        };
    }

    private static RebuildAction fromProto(io.caspian.events.proto.ioengine.RebuildAction a) {
        return switch (a) {
            case REBUILD_START -> RebuildAction.START;
            case REBUILD_PAUSE -> RebuildAction.PAUSE;
            case REBUILD_RESUME -> RebuildAction.RESUME;
            case REBUILD_STOP -> RebuildAction.STOP;
            case UNRECOGNIZED -> throw new IllegalArgumentException("unknown rebuild action " + a);
        };
    }

    private static io.caspian.events.proto.ioengine.FaultOp toProto(IoEngineCommand.FaultOp op) {
        return switch (op) {
            case READ -> io.caspian.events.proto.ioengine.FaultOp.FAULT_READ;
            case WRITE -> io.caspian.events.proto.ioengine.FaultOp.FAULT_WRITE;
            case FLUSH -> io.caspian.events.proto.ioengine.FaultOp.FAULT_FLUSH;
            case UNMAP -> io.caspian.events.proto.ioengine.FaultOp.FAULT_UNMAP;
            case WRITE_ZEROES -> io.caspian.events.proto.ioengine.FaultOp.FAULT_WRITE_ZEROES;
        };
    }

    private static IoEngineCommand.FaultOp fromProto(io.caspian.events.proto.ioengine.FaultOp op) {
        return switch (op) {
            case FAULT_READ -> IoEngineCommand.FaultOp.READ;
            case FAULT_WRITE -> IoEngineCommand.FaultOp.WRITE;
            case FAULT_FLUSH -> IoEngineCommand.FaultOp.FLUSH;
            case FAULT_UNMAP -> IoEngineCommand.FaultOp.UNMAP;
            case FAULT_WRITE_ZEROES -> IoEngineCommand.FaultOp.WRITE_ZEROES;
            case UNRECOGNIZED -> throw new IllegalArgumentException("unknown fault op " + op);
        };
    }

    private static io.caspian.events.proto.ioengine.FailureKind toProto(IoEngineReply.FailureKind k) {
        return switch (k) {
            case UNSPECIFIED -> io.caspian.events.proto.ioengine.FailureKind.FAILURE_UNSPECIFIED;
            case NOT_FOUND -> io.caspian.events.proto.ioengine.FailureKind.FAILURE_NOT_FOUND;
            case ALREADY_EXISTS -> io.caspian.events.proto.ioengine.FailureKind.FAILURE_ALREADY_EXISTS;
            case INVALID_ARGUMENT -> io.caspian.events.proto.ioengine.FailureKind.FAILURE_INVALID_ARGUMENT;
            case RESOURCE_EXHAUSTED -> io.caspian.events.proto.ioengine.FailureKind.FAILURE_RESOURCE_EXHAUSTED;
            case UNAVAILABLE -> io.caspian.events.proto.ioengine.FailureKind.FAILURE_UNAVAILABLE;
            case INTERNAL -> io.caspian.events.proto.ioengine.FailureKind.FAILURE_INTERNAL;
            case PERMISSION_DENIED -> io.caspian.events.proto.ioengine.FailureKind.FAILURE_PERMISSION_DENIED;
            case FAILED_PRECONDITION -> io.caspian.events.proto.ioengine.FailureKind.FAILURE_FAILED_PRECONDITION;
        };
    }

    private static IoEngineReply.FailureKind fromProto(io.caspian.events.proto.ioengine.FailureKind k) {
        return switch (k) {
            case FAILURE_UNSPECIFIED, UNRECOGNIZED -> IoEngineReply.FailureKind.UNSPECIFIED;
            case FAILURE_NOT_FOUND -> IoEngineReply.FailureKind.NOT_FOUND;
            case FAILURE_ALREADY_EXISTS -> IoEngineReply.FailureKind.ALREADY_EXISTS;
            case FAILURE_INVALID_ARGUMENT -> IoEngineReply.FailureKind.INVALID_ARGUMENT;
            case FAILURE_RESOURCE_EXHAUSTED -> IoEngineReply.FailureKind.RESOURCE_EXHAUSTED;
            case FAILURE_UNAVAILABLE -> IoEngineReply.FailureKind.UNAVAILABLE;
            case FAILURE_INTERNAL -> IoEngineReply.FailureKind.INTERNAL;
            case FAILURE_PERMISSION_DENIED -> IoEngineReply.FailureKind.PERMISSION_DENIED;
            case FAILURE_FAILED_PRECONDITION -> IoEngineReply.FailureKind.FAILED_PRECONDITION;
        };
    }

    // ------------------------------------------------------------------ state reports

    public io.caspian.events.proto.ioengine.NodeStateReport toProto(NodeStateReport r) {
        var b = io.caspian.events.proto.ioengine.NodeStateReport.newBuilder()
                .setNode(r.node()).setInstance(r.instance()).setEndpoint(r.endpoint())
                .setDataNode(refs.toSerializationFormat(r.dataNode())).setGeneration(r.generation())
                .putAllLabels(r.labels()).setPublishesToBus(r.publishesToBus());
        r.pools().forEach(x -> b.addPools(toProto(x)));
        r.replicas().forEach(x -> b.addReplicas(toProto(x)));
        r.nexuses().forEach(x -> b.addNexuses(toProto(x)));
        return b.build();
    }

    public NodeStateReport fromProto(io.caspian.events.proto.ioengine.NodeStateReport p) {
        return new NodeStateReport(p.getNode(), p.getInstance(), p.getEndpoint(),
                refs.resolveActorRef(p.getDataNode()), p.getGeneration(), p.getLabelsMap(),
                p.getPoolsList().stream().map(IoEngineCodec::fromProto).toList(),
                p.getReplicasList().stream().map(IoEngineCodec::fromProto).toList(),
                p.getNexusesList().stream().map(IoEngineCodec::fromProto).toList(), p.getPublishesToBus());
    }

    // ------------------------------------------------------------------ observed objects

    static io.caspian.events.proto.ioengine.PoolInfo toProto(PoolInfo p) {
        return io.caspian.events.proto.ioengine.PoolInfo.newBuilder().setName(p.name()).setUuid(p.uuid())
                .setDisk(p.disk()).setStatus(Enums.toProto(p.status())).setCapacity(p.capacity())
                .setUsed(p.used()).setCommitted(p.committed()).setReason(p.reason()).build();
    }

    static PoolInfo fromProto(io.caspian.events.proto.ioengine.PoolInfo p) {
        return new PoolInfo(p.getName(), p.getUuid(), p.getDisk(), Enums.fromProto(p.getStatus()), p.getCapacity(),
                p.getUsed(), p.getCommitted(), p.getReason());
    }

    static io.caspian.events.proto.ioengine.ReplicaInfo toProto(ReplicaInfo r) {
        return io.caspian.events.proto.ioengine.ReplicaInfo.newBuilder().setUuid(r.uuid()).setPool(r.pool())
                .setSize(r.size()).setThin(r.thin()).setShare(Enums.toProto(r.share())).setUri(r.uri())
                .setStatus(Enums.toProto(r.status())).build();
    }

    static ReplicaInfo fromProto(io.caspian.events.proto.ioengine.ReplicaInfo r) {
        return new ReplicaInfo(r.getUuid(), r.getPool(), r.getSize(), r.getThin(), Enums.fromProto(r.getShare()),
                r.getUri(), Enums.fromProto(r.getStatus()));
    }

    static io.caspian.events.proto.ioengine.NexusInfo toProto(NexusInfo n) {
        var b = io.caspian.events.proto.ioengine.NexusInfo.newBuilder().setUuid(n.uuid()).setSize(n.size())
                .setStatus(Enums.toProto(n.status())).setProtocol(Enums.toProto(n.protocol()))
                .setDeviceUri(n.deviceUri()).setErrorThreshold(n.errorThreshold())
                .setRebuildBytesPerSecond(n.rebuildBytesPerSecond());
        for (ChildInfo c : n.children()) {
            b.addChildren(io.caspian.events.proto.ioengine.ChildInfo.newBuilder().setUri(c.uri())
                    .setState(Enums.toProto(c.state())).setReason(c.reason())
                    .setRebuildProgress(c.rebuildProgress()));
        }
        return b.build();
    }

    static NexusInfo fromProto(io.caspian.events.proto.ioengine.NexusInfo n) {
        List<ChildInfo> children = n.getChildrenList().stream()
                .map(c -> new ChildInfo(c.getUri(), Enums.fromProto(c.getState()), c.getReason(),
                        c.getRebuildProgress()))
                .toList();
        return new NexusInfo(n.getUuid(), n.getSize(), Enums.fromProto(n.getStatus()),
                Enums.fromProto(n.getProtocol()), n.getDeviceUri(), children, n.getErrorThreshold(),
                n.getRebuildBytesPerSecond());
    }

    static io.caspian.events.proto.ioengine.NexusStats toProto(NexusStats s) {
        return io.caspian.events.proto.ioengine.NexusStats.newBuilder().setNexus(s.nexus())
                .setReadOps(s.readOps()).setBytesRead(s.bytesRead()).setReadLatencyUs(s.readLatencyUs())
                .setWriteOps(s.writeOps()).setBytesWritten(s.bytesWritten()).setWriteLatencyUs(s.writeLatencyUs())
                .build();
    }

    static NexusStats fromProto(io.caspian.events.proto.ioengine.NexusStats s) {
        return new NexusStats(s.getNexus(), s.getReadOps(), s.getBytesRead(), s.getReadLatencyUs(), s.getWriteOps(),
                s.getBytesWritten(), s.getWriteLatencyUs());
    }
}
