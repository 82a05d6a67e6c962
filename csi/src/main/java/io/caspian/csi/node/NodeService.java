package io.caspian.csi.node;

import static io.caspian.csi.Calls.answer;
import static io.caspian.csi.Calls.require;

import io.caspian.csi.AccessModes;
import io.caspian.csi.ExternalCommand;
import io.caspian.csi.Filesystem;
import io.caspian.csi.HostNqn;
import io.caspian.csi.VolumeLocks;
import io.caspian.csi.controller.CaspianApi;
import io.caspian.csi.controller.ControllerService;
import io.caspian.csi.controller.VolumeParameters;
import io.caspian.csi.v1.NodeGetCapabilitiesRequest;
import io.caspian.csi.v1.NodeGetCapabilitiesResponse;
import io.caspian.csi.v1.NodeGetInfoRequest;
import io.caspian.csi.v1.NodeGetInfoResponse;
import io.caspian.csi.v1.NodeGetVolumeStatsRequest;
import io.caspian.csi.v1.NodeGetVolumeStatsResponse;
import io.caspian.csi.v1.NodeGrpc;
import io.caspian.csi.v1.NodePublishVolumeRequest;
import io.caspian.csi.v1.NodePublishVolumeResponse;
import io.caspian.csi.v1.NodeServiceCapability;
import io.caspian.csi.v1.NodeStageVolumeRequest;
import io.caspian.csi.v1.NodeStageVolumeResponse;
import io.caspian.csi.v1.NodeUnpublishVolumeRequest;
import io.caspian.csi.v1.NodeUnpublishVolumeResponse;
import io.caspian.csi.v1.NodeUnstageVolumeRequest;
import io.caspian.csi.v1.NodeUnstageVolumeResponse;
import io.caspian.csi.v1.Topology;
import io.caspian.csi.v1.VolumeCapability;
import io.caspian.csi.v1.VolumeCondition;
import io.caspian.csi.v1.VolumeUsage;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The CSI Node service: attach, format when empty, mount; and the reverse. */
public final class NodeService extends NodeGrpc.NodeImplBase implements AutoCloseable {
    /** The subsystem NQN of a volume's nexus, for the calls (unstage) that carry no publish context. */
    private static final String CASPIAN_NQN_PREFIX = "nqn.2019-05.io.caspian:nexus-";

    private final String nodeId;
    private final long maxVolumes;
    private final Path sys;
    private final NvmeFabrics nvme;
    private final NbdClient nbd;
    private final Mounts mounts;
    private final VolumeLocks locks = new VolumeLocks();
    private final PathAgent paths;

    /** {@code stateDir}: where nbd attachments are noted (a tmpfs). */
    public NodeService(String nodeId, long maxVolumes, Path stateDir) {
        this(nodeId, maxVolumes, Path.of("/sys"), Path.of("/dev"), Path.of("/proc/self/mountinfo"), stateDir, null);
    }

    /**
     * With {@code api} (nullable: no control-plane access, no path agent), a {@link PathAgent} moves the NVMe/TCP
     * path of every volume staged here to where the control plane fails its target over to; {@link #close} stops it.
     */
    public NodeService(String nodeId, long maxVolumes, Path stateDir, CaspianApi api) {
        this(nodeId, maxVolumes, Path.of("/sys"), Path.of("/dev"), Path.of("/proc/self/mountinfo"), stateDir, api);
    }

    NodeService(String nodeId, long maxVolumes, Path sys, Path dev, Path mountinfo, Path stateDir, CaspianApi api) {
        this.nodeId = nodeId;
        this.maxVolumes = maxVolumes;
        this.sys = sys;
        this.nvme = new NvmeFabrics(sys, dev);
        this.nbd = new NbdClient(sys, dev, stateDir.resolve("nbd"));
        this.mounts = new Mounts(mountinfo);
        this.paths = api == null ? null : PathAgent.of(nvme, api);
        if (paths != null) {
            paths.start();
        }
    }

    NodeService(String nodeId, long maxVolumes, Path sys, Path dev, Path mountinfo, Path stateDir) {
        this(nodeId, maxVolumes, sys, dev, mountinfo, stateDir, null);
    }

    /** Stops the path agent, if there is one. */
    @Override
    public void close() {
        if (paths != null) {
            paths.close();
        }
    }

    @Override
    public void nodeStageVolume(NodeStageVolumeRequest req, StreamObserver<NodeStageVolumeResponse> out) {
        answer(out, () -> {
            require(!req.getVolumeId().isEmpty(), "NodeStageVolume needs a volume id");
            require(!req.getStagingTargetPath().isEmpty(), "NodeStageVolume needs a staging target path");
            require(req.hasVolumeCapability(), "NodeStageVolume needs a volume capability");
            String problem = AccessModes.problem(req.getVolumeCapability());
            require(problem == null, problem);
            Attachment a = attachment(req.getPublishContextMap());
            String id = req.getVolumeId();
            Path staging = Path.of(req.getStagingTargetPath());
            return locks.run(id, "NodeStageVolume", () -> {
                if (req.getVolumeCapability().hasBlock()) {
                    attach(a, id);
                    return NodeStageVolumeResponse.getDefaultInstance();
                }
                VolumeCapability.MountVolume mv = req.getVolumeCapability().getMount();
                Filesystem fs = Filesystem.parse(mv.getFsType().isEmpty()
                        ? req.getPublishContextMap().getOrDefault(VolumeParameters.FS_TYPE, "") : mv.getFsType());
                Path device = attach(a, id);
                Optional<Mounts.Mount> there = mounts.at(staging);
                if (there.isPresent()) {
                    if (Path.of(there.get().source()).equals(device)) {
                        return NodeStageVolumeResponse.getDefaultInstance();
                    }
                    throw Status.ALREADY_EXISTS.withDescription("staging path " + staging + " already has "
                            + there.get().source() + " mounted, not volume " + id + " (" + device + ")")
                            .asRuntimeException();
                }
                Optional<String> found = Filesystems.probe(device);
                if (found.isEmpty()) {
                    Filesystems.make(fs, device);
                } else if (!found.get().equals(fs.type)) {
                    throw Status.FAILED_PRECONDITION.withDescription("volume " + id + " (" + device + ") holds a "
                            + found.get() + " filesystem, but " + fs.type + " was asked for; it is not reformatted")
                            .asRuntimeException();
                }
                createDirectories(staging);
                mounts.mount(device, staging, fs.type, mv.getMountFlagsList());
                return NodeStageVolumeResponse.getDefaultInstance();
            });
        });
    }

    @Override
    public void nodePublishVolume(NodePublishVolumeRequest req, StreamObserver<NodePublishVolumeResponse> out) {
        answer(out, () -> {
            require(!req.getVolumeId().isEmpty(), "NodePublishVolume needs a volume id");
            require(!req.getTargetPath().isEmpty(), "NodePublishVolume needs a target path");
            require(req.hasVolumeCapability(), "NodePublishVolume needs a volume capability");
            require(!req.getStagingTargetPath().isEmpty(), "NodePublishVolume needs the staging target path "
                    + "(this plugin stages volumes)");
            String problem = AccessModes.problem(req.getVolumeCapability());
            require(problem == null, problem);
            String id = req.getVolumeId();
            Path target = Path.of(req.getTargetPath());
            Path staging = Path.of(req.getStagingTargetPath());
            boolean readOnly = req.getReadonly() || AccessModes.readOnly(req.getVolumeCapability());
            return locks.run(id, "NodePublishVolume", () -> {
                Optional<Mounts.Mount> there = mounts.at(target);
                if (req.getVolumeCapability().hasBlock()) {
                    Path device = attached(id, req.getPublishContextMap()).orElseThrow(() ->
                            Status.FAILED_PRECONDITION.withDescription("volume " + id + " is not staged on this node "
                                    + "(no attached device)").asRuntimeException());
                    if (there.isPresent()) {
                        return published(there.get(), readOnly, target);
                    }
                    createDirectories(target.toAbsolutePath().getParent());
                    if (!Files.exists(target)) {
                        try {
                            Files.createFile(target);
                        } catch (IOException e) {
                            throw Status.INTERNAL.withDescription("cannot create " + target + ": " + e.getMessage())
                                    .asRuntimeException();
                        }
                    }
                    mounts.bind(device, target, readOnly);
                    return NodePublishVolumeResponse.getDefaultInstance();
                }
                Mounts.Mount staged = mounts.at(staging).orElseThrow(() -> Status.FAILED_PRECONDITION
                        .withDescription("volume " + id + " is not staged at " + staging).asRuntimeException());
                if (there.isPresent()) {
                    if (!there.get().device().equals(staged.device())) {
                        throw Status.ALREADY_EXISTS.withDescription("target path " + target + " has another "
                                + "volume mounted").asRuntimeException();
                    }
                    return published(there.get(), readOnly, target);
                }
                if (AccessModes.singleWriterOnly(req.getVolumeCapability())) {
                    for (Mounts.Mount m : mounts.all()) {
                        if (m.device().equals(staged.device()) && !m.mountPoint().equals(staged.mountPoint())) {
                            throw Status.FAILED_PRECONDITION.withDescription("volume " + id + " is single-writer "
                                    + "and already published at " + m.mountPoint()).asRuntimeException();
                        }
                    }
                }
                createDirectories(target);
                mounts.bind(staging, target, readOnly);
                return NodePublishVolumeResponse.getDefaultInstance();
            });
        });
    }

    @Override
    public void nodeUnpublishVolume(NodeUnpublishVolumeRequest req, StreamObserver<NodeUnpublishVolumeResponse> out) {
        answer(out, () -> {
            require(!req.getVolumeId().isEmpty(), "NodeUnpublishVolume needs a volume id");
            require(!req.getTargetPath().isEmpty(), "NodeUnpublishVolume needs a target path");
            Path target = Path.of(req.getTargetPath());
            return locks.run(req.getVolumeId(), "NodeUnpublishVolume", () -> {
                while (mounts.at(target).isPresent()) {
                    mounts.umount(target);
                }
                try {
                    // The spec has the plugin remove what it made at the target path.
                    Files.deleteIfExists(target);
                } catch (IOException e) {
                    throw Status.INTERNAL.withDescription("unmounted, but cannot remove " + target + ": "
                            + e.getMessage()).asRuntimeException();
                }
                return NodeUnpublishVolumeResponse.getDefaultInstance();
            });
        });
    }

    @Override
    public void nodeUnstageVolume(NodeUnstageVolumeRequest req, StreamObserver<NodeUnstageVolumeResponse> out) {
        answer(out, () -> {
            require(!req.getVolumeId().isEmpty(), "NodeUnstageVolume needs a volume id");
            require(!req.getStagingTargetPath().isEmpty(), "NodeUnstageVolume needs a staging target path");
            String id = req.getVolumeId();
            Path staging = Path.of(req.getStagingTargetPath()).toAbsolutePath().normalize();
            return locks.run(id, "NodeUnstageVolume", () -> {
                Optional<Mounts.Mount> staged = mounts.at(staging);
                Optional<Path> device = staged.map(m -> Path.of(m.source()));
                if (staged.isPresent()) {
                    for (Mounts.Mount m : mounts.all()) {
                        if (m.device().equals(staged.get().device()) && !m.mountPoint().equals(staging)) {
                            throw Status.FAILED_PRECONDITION.withDescription("volume " + id + " is still published "
                                    + "at " + m.mountPoint() + "; unpublish it first").asRuntimeException();
                        }
                    }
                    mounts.umount(staging);
                }
                if (nbd.find(id).isPresent()) {
                    refuseIfBound(nbd.find(id).get(), id);
                    nbd.detach(id);
                    return NodeUnstageVolumeResponse.getDefaultInstance();
                }
                if (device.isEmpty()) {
                    device = nvme.find(id, CASPIAN_NQN_PREFIX + id);
                }
                if (device.isPresent()) {
                    refuseIfBound(device.get(), id);
                }
                String nqn = device.flatMap(nvme::subsystemOf).orElse(CASPIAN_NQN_PREFIX + id);
                if (paths != null) {
                    // First: the agent would take the controllers being deleted for a dead path.
                    paths.unwatch(nqn);
                }
                nvme.disconnect(nqn);
                return NodeUnstageVolumeResponse.getDefaultInstance();
            });
        });
    }

    @Override
    public void nodeGetVolumeStats(NodeGetVolumeStatsRequest req, StreamObserver<NodeGetVolumeStatsResponse> out) {
        answer(out, () -> {
            require(!req.getVolumeId().isEmpty(), "NodeGetVolumeStats needs a volume id");
            require(!req.getVolumePath().isEmpty(), "NodeGetVolumeStats needs a volume path");
            Path path = Path.of(req.getVolumePath());
            if (!Files.exists(path)) {
                throw Status.NOT_FOUND.withDescription("volume path " + path + " does not exist")
                        .asRuntimeException();
            }
            Optional<Mounts.Mount> m = mounts.at(path);
            NodeGetVolumeStatsResponse.Builder b = NodeGetVolumeStatsResponse.newBuilder();
            if (m.isEmpty()) {
                return b.setVolumeCondition(VolumeCondition.newBuilder().setAbnormal(true)
                        .setMessage("nothing is mounted at " + path + " any more")).build();
            }
            if (Files.isRegularFile(path) || m.get().fsType().equals("devtmpfs")) {
                String name = Path.of(m.get().root()).getFileName().toString();
                Path size = sys.resolve("block").resolve(name).resolve("size");
                if (!Files.exists(size)) {
                    return b.setVolumeCondition(VolumeCondition.newBuilder().setAbnormal(true)
                            .setMessage("block device " + name + " is gone")).build();
                }
                long bytes = Long.parseLong(read(size)) * 512;
                return b.addUsage(VolumeUsage.newBuilder().setUnit(VolumeUsage.Unit.BYTES).setTotal(bytes))
                        .setVolumeCondition(VolumeCondition.newBuilder().setMessage("attached as " + name)).build();
            }
            String[] f = ExternalCommand.check(Duration.ofSeconds(30), List.of("stat", "-f", "-c", "%b %f %a %S %c %d",
                    path.toString())).strip().split(" ");
            long blocks = Long.parseLong(f[0]);
            long free = Long.parseLong(f[1]);
            long avail = Long.parseLong(f[2]);
            long bsize = Long.parseLong(f[3]);
            long inodes = Long.parseLong(f[4]);
            long inodesFree = Long.parseLong(f[5]);
            return b.addUsage(VolumeUsage.newBuilder().setUnit(VolumeUsage.Unit.BYTES).setTotal(blocks * bsize)
                            .setAvailable(avail * bsize).setUsed((blocks - free) * bsize))
                    .addUsage(VolumeUsage.newBuilder().setUnit(VolumeUsage.Unit.INODES).setTotal(inodes)
                            .setAvailable(inodesFree).setUsed(inodes - inodesFree))
                    .setVolumeCondition(VolumeCondition.newBuilder().setMessage("mounted from "
                            + m.get().source())).build();
        });
    }

    @Override
    public void nodeGetCapabilities(NodeGetCapabilitiesRequest req, StreamObserver<NodeGetCapabilitiesResponse> out) {
        NodeGetCapabilitiesResponse.Builder b = NodeGetCapabilitiesResponse.newBuilder();
        for (NodeServiceCapability.RPC.Type t : List.of(NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME,
                NodeServiceCapability.RPC.Type.GET_VOLUME_STATS, NodeServiceCapability.RPC.Type.VOLUME_CONDITION,
                NodeServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER)) {
            b.addCapabilities(NodeServiceCapability.newBuilder().setRpc(NodeServiceCapability.RPC.newBuilder()
                    .setType(t)));
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void nodeGetInfo(NodeGetInfoRequest req, StreamObserver<NodeGetInfoResponse> out) {
        out.onNext(NodeGetInfoResponse.newBuilder().setNodeId(nodeId).setMaxVolumesPerNode(maxVolumes)
                .setAccessibleTopology(Topology.newBuilder().putSegments(ControllerService.TOPOLOGY_KEY, nodeId))
                .build());
        out.onCompleted();
    }

    // ------------------------------------------------------------------ helpers

    private Path attach(Attachment a, String id) {
        if (a instanceof Attachment.Nvmf n) {
            Path device = nvme.connect(n, id, HostNqn.of(nodeId), HostNqn.hostId(nodeId));
            if (paths != null) {
                paths.watch(id, n.nqn(), NvmeFabrics.ConnectOptions.of(n, HostNqn.of(nodeId), HostNqn.hostId(nodeId)));
            }
            return device;
        }
        return nbd.attach((Attachment.Nbd) a, id);
    }

    /** The device already attached for the volume (no connect). */
    private Optional<Path> attached(String id, Map<String, String> ctx) {
        Optional<Path> viaNbd = nbd.find(id);
        if (viaNbd.isPresent()) {
            return viaNbd;
        }
        return nvme.find(id, ctx.getOrDefault(ControllerService.CTX_NQN, CASPIAN_NQN_PREFIX + id));
    }

    /** A raw block volume is bind-mounted as its device node: such binds show the node's name as their root. */
    private void refuseIfBound(Path device, String id) {
        String root = "/" + device.getFileName();
        for (Mounts.Mount m : mounts.all()) {
            if (m.root().equals(root) && m.fsType().equals("devtmpfs")) {
                throw Status.FAILED_PRECONDITION.withDescription("volume " + id + " is still published at "
                        + m.mountPoint() + "; unpublish it first").asRuntimeException();
            }
        }
    }

    private static NodePublishVolumeResponse published(Mounts.Mount m, boolean readOnly, Path target) {
        if (m.readOnly() != readOnly) {
            throw Status.ALREADY_EXISTS.withDescription(target + " is already published " + (m.readOnly()
                    ? "read-only" : "read-write") + ", not as asked").asRuntimeException();
        }
        return NodePublishVolumeResponse.getDefaultInstance();
    }

    private static Attachment attachment(Map<String, String> ctx) {
        try {
            return Attachment.fromContext(ctx);
        } catch (IllegalArgumentException e) {
            throw Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
        }
    }

    private static void createDirectories(Path p) {
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("cannot create " + p + ": " + e.getMessage()).asRuntimeException();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("cannot read " + p + ": " + e.getMessage()).asRuntimeException();
        }
    }
}
