package io.caspian.csi.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Int64Value;
import static io.caspian.csi.Calls.answer;
import static io.caspian.csi.Calls.require;

import io.caspian.csi.AccessModes;
import io.caspian.csi.HostNqn;
import io.caspian.csi.VolumeLocks;
import io.caspian.csi.v1.ControllerGetCapabilitiesRequest;
import io.caspian.csi.v1.ControllerGetCapabilitiesResponse;
import io.caspian.csi.v1.ControllerGrpc;
import io.caspian.csi.v1.ControllerPublishVolumeRequest;
import io.caspian.csi.v1.ControllerPublishVolumeResponse;
import io.caspian.csi.v1.ControllerServiceCapability;
import io.caspian.csi.v1.ControllerUnpublishVolumeRequest;
import io.caspian.csi.v1.ControllerUnpublishVolumeResponse;
import io.caspian.csi.v1.CreateVolumeRequest;
import io.caspian.csi.v1.CreateVolumeResponse;
import io.caspian.csi.v1.DeleteVolumeRequest;
import io.caspian.csi.v1.DeleteVolumeResponse;
import io.caspian.csi.v1.GetCapacityRequest;
import io.caspian.csi.v1.GetCapacityResponse;
import io.caspian.csi.v1.ListVolumesRequest;
import io.caspian.csi.v1.ListVolumesResponse;
import io.caspian.csi.v1.Topology;
import io.caspian.csi.v1.ValidateVolumeCapabilitiesRequest;
import io.caspian.csi.v1.ValidateVolumeCapabilitiesResponse;
import io.caspian.csi.v1.Volume;
import io.caspian.csi.v1.VolumeCapability;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** The CSI Controller service over Caspian's REST API. Holds no state: every answer comes from the API. */
public final class ControllerService extends ControllerGrpc.ControllerImplBase {
    /** The topology key of a node (an io-engine, or any machine running the node plugin). */
    public static final String TOPOLOGY_KEY = "caspian.io/node";
    /** Publish-context keys the node plugin reads. */
    public static final String CTX_PROTOCOL = "protocol";
    public static final String CTX_ADDRESS = "address";
    public static final String CTX_PORT = "port";
    public static final String CTX_NQN = "nqn";
    public static final String CTX_EXPORT = "export";
    public static final String CTX_UUID = "uuid";

    private final CaspianApi api;
    private final VolumeLocks locks = new VolumeLocks();

    public ControllerService(CaspianApi api) {
        this.api = api;
    }

    /** The volume id of a CSI volume name: a name-based UUID, so that the same name always means the same volume. */
    public static String volumeId(String name) {
        return UUID.nameUUIDFromBytes(("io.caspian.csi.volume:" + name).getBytes(StandardCharsets.UTF_8)).toString();
    }

    @Override
    public void createVolume(CreateVolumeRequest req, StreamObserver<CreateVolumeResponse> out) {
        answer(out, () -> {
            require(!req.getName().isEmpty(), "CreateVolume needs a name");
            require(req.getVolumeCapabilitiesCount() > 0, "CreateVolume needs at least one volume capability");
            for (VolumeCapability c : req.getVolumeCapabilitiesList()) {
                String problem = AccessModes.problem(c);
                require(problem == null, problem);
            }
            if (req.hasVolumeContentSource()) {
                throw Status.INVALID_ARGUMENT.withDescription("volume content sources (snapshots, clones) are not "
                        + "supported").asRuntimeException();
            }
            VolumeParameters params = parameters(req.getParametersMap());
            long size = Capacity.size(req.getCapacityRange());
            String id = volumeId(req.getName());
            return locks.run(id, "CreateVolume", () -> {
                JsonNode v = rest(ApiErrors.Call.READ, () -> api.volume(id)).orElse(null);
                if (v != null) {
                    JsonNode spec = v.path("spec");
                    if (!Capacity.satisfies(spec.path("size").asLong(), req.getCapacityRange())
                            || spec.path("replicas").asInt() != params.replicas()
                            || spec.path("thin").asBoolean() != params.thin()) {
                        throw Status.ALREADY_EXISTS.withDescription("volume '" + req.getName() + "' (" + id
                                + ") exists with size " + spec.path("size").asLong() + ", " + spec.path("replicas")
                                .asInt() + " replicas, thin " + spec.path("thin").asBoolean()
                                + ", which does not match this request").asRuntimeException();
                    }
                } else {
                    v = rest(ApiErrors.Call.CREATE, () -> api.createVolume(id, size, params.replicas(),
                            params.thin()));
                }
                return CreateVolumeResponse.newBuilder().setVolume(volume(v, params.context())).build();
            });
        });
    }

    @Override
    public void deleteVolume(DeleteVolumeRequest req, StreamObserver<DeleteVolumeResponse> out) {
        answer(out, () -> {
            require(!req.getVolumeId().isEmpty(), "DeleteVolume needs a volume id");
            return locks.run(req.getVolumeId(), "DeleteVolume", () -> {
                rest(ApiErrors.Call.DELETE, () -> {
                    api.deleteVolume(req.getVolumeId());
                    return null;
                });
                return DeleteVolumeResponse.getDefaultInstance();
            });
        });
    }

    @Override
    public void controllerPublishVolume(ControllerPublishVolumeRequest req,
                                        StreamObserver<ControllerPublishVolumeResponse> out) {
        answer(out, () -> {
            require(!req.getVolumeId().isEmpty(), "ControllerPublishVolume needs a volume id");
            require(!req.getNodeId().isEmpty(), "ControllerPublishVolume needs a node id");
            require(req.hasVolumeCapability(), "ControllerPublishVolume needs a volume capability");
            String problem = AccessModes.problem(req.getVolumeCapability());
            require(problem == null, problem);
            VolumeParameters params = parameters(req.getVolumeContextMap());
            String id = req.getVolumeId();
            return locks.run(id, "ControllerPublishVolume", () -> {
                JsonNode v = rest(ApiErrors.Call.READ, () -> api.volume(id)).orElseThrow(() ->
                        Status.NOT_FOUND.withDescription("volume '" + id + "' does not exist").asRuntimeException());
                JsonNode target = v.path("target");
                if (!target.isMissingNode() && !target.isNull()
                        && !params.protocol().wire.equals(target.path("protocol").asText())) {
                    throw Status.FAILED_PRECONDITION.withDescription("volume '" + id + "' is published over "
                            + target.path("protocol").asText() + ", not " + params.protocol().wire
                            + "; unpublish it first").asRuntimeException();
                }
                // The nexus goes on the requesting node when that node runs an io-engine (local replica reads);
                // otherwise the control plane picks the least loaded node.
                Set<String> engines = rest(ApiErrors.Call.READ, api::nodes).stream()
                        .map(n -> n.path("id").asText()).collect(Collectors.toSet());
                String nexusNode = engines.contains(req.getNodeId()) ? req.getNodeId() : null;
                // Only an NVMe/TCP target can name its hosts: NBD's handshake carries no host identity.
                String host = params.protocol() == Protocol.NVMF ? HostNqn.of(req.getNodeId()) : null;
                JsonNode published = rest(ApiErrors.Call.PUBLISH, () -> api.publish(id, params.protocol(), nexusNode,
                        host));
                return ControllerPublishVolumeResponse.newBuilder()
                        .putAllPublishContext(publishContext(id, params, published.path("target")
                                .path("device_uri").asText()))
                        .build();
            });
        });
    }

    @Override
    public void controllerUnpublishVolume(ControllerUnpublishVolumeRequest req,
                                          StreamObserver<ControllerUnpublishVolumeResponse> out) {
        answer(out, () -> {
            require(!req.getVolumeId().isEmpty(), "ControllerUnpublishVolume needs a volume id");
            return locks.run(req.getVolumeId(), "ControllerUnpublishVolume", () -> {
                rest(ApiErrors.Call.UNPUBLISH, () -> {
                    api.unpublish(req.getVolumeId());
                    return null;
                });
                return ControllerUnpublishVolumeResponse.getDefaultInstance();
            });
        });
    }

    @Override
    public void validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest req,
                                           StreamObserver<ValidateVolumeCapabilitiesResponse> out) {
        answer(out, () -> {
            require(!req.getVolumeId().isEmpty(), "ValidateVolumeCapabilities needs a volume id");
            require(req.getVolumeCapabilitiesCount() > 0, "ValidateVolumeCapabilities needs volume capabilities");
            rest(ApiErrors.Call.READ, () -> api.volume(req.getVolumeId())).orElseThrow(() ->
                    Status.NOT_FOUND.withDescription("volume '" + req.getVolumeId() + "' does not exist")
                            .asRuntimeException());
            for (VolumeCapability c : req.getVolumeCapabilitiesList()) {
                String problem = AccessModes.problem(c);
                if (problem != null) {
                    return ValidateVolumeCapabilitiesResponse.newBuilder().setMessage(problem).build();
                }
            }
            try {
                VolumeParameters.parse(req.getParametersMap());
            } catch (IllegalArgumentException e) {
                return ValidateVolumeCapabilitiesResponse.newBuilder().setMessage(e.getMessage()).build();
            }
            return ValidateVolumeCapabilitiesResponse.newBuilder().setConfirmed(
                    ValidateVolumeCapabilitiesResponse.Confirmed.newBuilder()
                            .putAllVolumeContext(req.getVolumeContextMap())
                            .addAllVolumeCapabilities(req.getVolumeCapabilitiesList())
                            .putAllParameters(req.getParametersMap())).build();
        });
    }

    /**
     * Pages through the volumes in uuid order; the token is the uuid to start from, so a page stays right when
     * volumes before it are deleted between calls. A token that is no uuid is ABORTED, as the spec asks.
     */
    @Override
    public void listVolumes(ListVolumesRequest req, StreamObserver<ListVolumesResponse> out) {
        answer(out, () -> {
            require(req.getMaxEntries() >= 0, "max_entries must not be negative");
            String from = req.getStartingToken();
            if (!from.isEmpty()) {
                try {
                    UUID.fromString(from);
                } catch (IllegalArgumentException e) {
                    throw Status.ABORTED.withDescription("starting_token '" + from + "' is not a token this plugin "
                            + "gave out").asRuntimeException();
                }
            }
            Map<String, String> nodeOfReplica = new LinkedHashMap<>();
            rest(ApiErrors.Call.READ, api::replicas).forEach(r -> nodeOfReplica.put(r.path("uuid").asText(),
                    r.path("node").asText()));
            List<JsonNode> all = new ArrayList<>(rest(ApiErrors.Call.READ, api::volumes));
            all.sort(Comparator.comparing(v -> v.path("uuid").asText()));
            ListVolumesResponse.Builder b = ListVolumesResponse.newBuilder();
            int limit = req.getMaxEntries() == 0 ? Integer.MAX_VALUE : req.getMaxEntries();
            for (JsonNode v : all) {
                String id = v.path("uuid").asText();
                if (!from.isEmpty() && id.compareTo(from) < 0) {
                    continue;
                }
                if (b.getEntriesCount() == limit) {
                    b.setNextToken(id);
                    break;
                }
                b.addEntries(ListVolumesResponse.Entry.newBuilder().setVolume(volume(v, Map.of(), nodeOfReplica)));
            }
            return b.build();
        });
    }

    /**
     * Free bytes in the pools of the topology segment's node (all pools without one): thick replicas reserve their
     * size, so free is capacity minus committed. The largest volume is bounded by the {@code repl}-th largest pool.
     */
    @Override
    public void getCapacity(GetCapacityRequest req, StreamObserver<GetCapacityResponse> out) {
        answer(out, () -> {
            VolumeParameters params = parameters(req.getParametersMap());
            String node = req.hasAccessibleTopology() ? req.getAccessibleTopology().getSegmentsMap()
                    .get(TOPOLOGY_KEY) : null;
            List<Long> free = new ArrayList<>();
            for (JsonNode p : rest(ApiErrors.Call.READ, api::pools)) {
                if (node != null && !node.equals(p.path("node").asText())) {
                    continue;
                }
                if (!"Online".equals(p.path("status").asText("Online"))) {
                    continue;
                }
                long used = params.thin() ? p.path("used").asLong() : p.path("committed").asLong();
                free.add(Math.max(0, p.path("capacity").asLong() - used));
            }
            free.sort(Comparator.reverseOrder());
            long total = free.stream().mapToLong(Long::longValue).sum();
            long largest = free.size() >= params.replicas() ? free.get(params.replicas() - 1) : 0;
            return GetCapacityResponse.newBuilder().setAvailableCapacity(total)
                    .setMaximumVolumeSize(Int64Value.of(largest / Capacity.UNIT * Capacity.UNIT))
                    .setMinimumVolumeSize(Int64Value.of(Capacity.UNIT)).build();
        });
    }

    @Override
    public void controllerGetCapabilities(ControllerGetCapabilitiesRequest req,
                                          StreamObserver<ControllerGetCapabilitiesResponse> out) {
        ControllerGetCapabilitiesResponse.Builder b = ControllerGetCapabilitiesResponse.newBuilder();
        for (ControllerServiceCapability.RPC.Type t : List.of(
                ControllerServiceCapability.RPC.Type.CREATE_DELETE_VOLUME,
                ControllerServiceCapability.RPC.Type.PUBLISH_UNPUBLISH_VOLUME,
                ControllerServiceCapability.RPC.Type.LIST_VOLUMES,
                ControllerServiceCapability.RPC.Type.GET_CAPACITY,
                ControllerServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER)) {
            b.addCapabilities(ControllerServiceCapability.newBuilder()
                    .setRpc(ControllerServiceCapability.RPC.newBuilder().setType(t)));
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    // ------------------------------------------------------------------ helpers

    /** What the node plugin needs to attach: where the target is, its NQN or export, and the NVMe settings. */
    static Map<String, String> publishContext(String id, VolumeParameters params, String deviceUri) {
        URI uri = URI.create(deviceUri);
        Map<String, String> ctx = new LinkedHashMap<>(params.context());
        ctx.put(CTX_PROTOCOL, params.protocol().wire);
        ctx.put(CTX_UUID, id);
        ctx.put(CTX_ADDRESS, uri.getHost());
        ctx.put(CTX_PORT, Integer.toString(uri.getPort()));
        String name = uri.getPath().startsWith("/") ? uri.getPath().substring(1) : uri.getPath();
        ctx.put(params.protocol() == Protocol.NVMF ? CTX_NQN : CTX_EXPORT, name);
        return ctx;
    }

    private Volume volume(JsonNode v, Map<String, String> context) {
        Map<String, String> nodeOfReplica = new LinkedHashMap<>();
        rest(ApiErrors.Call.READ, api::replicas).forEach(r -> nodeOfReplica.put(r.path("uuid").asText(),
                r.path("node").asText()));
        return volume(v, context, nodeOfReplica);
    }

    /** A CSI volume; accessible from the nodes that hold its replicas. */
    private static Volume volume(JsonNode v, Map<String, String> context, Map<String, String> nodeOfReplica) {
        Volume.Builder b = Volume.newBuilder().setVolumeId(v.path("uuid").asText())
                .setCapacityBytes(v.path("spec").path("size").asLong()).putAllVolumeContext(context);
        Set<String> nodes = new TreeSet<>();
        v.path("replicas").forEach(r -> {
            String n = nodeOfReplica.get(r.asText());
            if (n != null && !n.isEmpty()) {
                nodes.add(n);
            }
        });
        nodes.forEach(n -> b.addAccessibleTopology(Topology.newBuilder().putSegments(TOPOLOGY_KEY, n)));
        return b.build();
    }

    private static VolumeParameters parameters(Map<String, String> p) {
        try {
            return VolumeParameters.parse(p);
        } catch (IllegalArgumentException e) {
            throw Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
        }
    }

    private static <T> T rest(ApiErrors.Call call, Supplier<T> s) {
        try {
            return s.get();
        } catch (CaspianApi.ApiException e) {
            throw ApiErrors.toStatus(call, e);
        }
    }
}
