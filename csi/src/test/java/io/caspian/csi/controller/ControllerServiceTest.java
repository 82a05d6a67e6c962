package io.caspian.csi.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.csi.CsiMain;
import io.caspian.csi.IdentityService;
import io.caspian.csi.CaspianCluster;
import io.caspian.csi.v1.CapacityRange;
import io.caspian.csi.v1.ControllerGetCapabilitiesRequest;
import io.caspian.csi.v1.ControllerGrpc;
import io.caspian.csi.v1.ControllerPublishVolumeRequest;
import io.caspian.csi.v1.ControllerPublishVolumeResponse;
import io.caspian.csi.v1.ControllerServiceCapability;
import io.caspian.csi.v1.ControllerUnpublishVolumeRequest;
import io.caspian.csi.v1.CreateVolumeRequest;
import io.caspian.csi.v1.CreateVolumeResponse;
import io.caspian.csi.v1.DeleteVolumeRequest;
import io.caspian.csi.v1.GetCapacityRequest;
import io.caspian.csi.v1.GetCapacityResponse;
import io.caspian.csi.v1.GetPluginCapabilitiesRequest;
import io.caspian.csi.v1.GetPluginInfoRequest;
import io.caspian.csi.v1.IdentityGrpc;
import io.caspian.csi.v1.ListVolumesRequest;
import io.caspian.csi.v1.ListVolumesResponse;
import io.caspian.csi.v1.PluginCapability;
import io.caspian.csi.v1.ProbeRequest;
import io.caspian.csi.v1.Topology;
import io.caspian.csi.v1.ValidateVolumeCapabilitiesRequest;
import io.caspian.csi.v1.ValidateVolumeCapabilitiesResponse;
import io.caspian.csi.v1.VolumeCapability;
import io.caspian.csi.v1.VolumeCapability.AccessMode.Mode;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller plugin against a real control plane with three io-engines in this JVM, through gRPC: the
 * behaviours csi-sanity's Identity and Controller groups check, and Caspian's own (parameters, capacity, topology,
 * the publish context).
 */
class ControllerServiceTest {
    private static final long MIB = 1L << 20;
    @TempDir
    static Path dir;
    private static CaspianCluster caspian;
    private static CsiMain.Running plugin;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        caspian = CaspianCluster.start(dir, 256);
        plugin = CsiMain.start("csi-controller", List.of("--endpoint", "tcp://127.0.0.1:0", "--api", caspian.api(),
                "--token-file", caspian.tokenFile().toString()));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", plugin.server().port()).usePlaintext().build();
    }

    @AfterAll
    static void stop() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (plugin != null) {
            plugin.close();
        }
        if (caspian != null) {
            caspian.close();
        }
    }

    private static ControllerGrpc.ControllerBlockingStub ctl() {
        return ControllerGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private static VolumeCapability mount(Mode mode) {
        return VolumeCapability.newBuilder().setMount(VolumeCapability.MountVolume.getDefaultInstance())
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode)).build();
    }

    private static CreateVolumeRequest create(String name, long size, Map<String, String> params) {
        return CreateVolumeRequest.newBuilder().setName(name).addVolumeCapabilities(mount(Mode.SINGLE_NODE_WRITER))
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(size)).putAllParameters(params).build();
    }

    private static Status.Code code(Runnable r) {
        try {
            r.run();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    @Test
    void identityNamesTheDriverAndIsReadyWhenTheApiAnswers() {
        IdentityGrpc.IdentityBlockingStub id = IdentityGrpc.newBlockingStub(channel);
        assertEquals(IdentityService.DRIVER_NAME, id.getPluginInfo(GetPluginInfoRequest.getDefaultInstance())
                .getName());
        assertFalse(id.getPluginInfo(GetPluginInfoRequest.getDefaultInstance()).getVendorVersion().isEmpty());
        Set<PluginCapability.Service.Type> caps = new HashSet<>();
        id.getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance()).getCapabilitiesList()
                .forEach(c -> caps.add(c.getService().getType()));
        assertEquals(Set.of(PluginCapability.Service.Type.CONTROLLER_SERVICE,
                PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS), caps);
        assertTrue(id.probe(ProbeRequest.getDefaultInstance()).getReady().getValue());
    }

    @Test
    void capabilities() {
        Set<ControllerServiceCapability.RPC.Type> caps = new HashSet<>();
        ctl().controllerGetCapabilities(ControllerGetCapabilitiesRequest.getDefaultInstance()).getCapabilitiesList()
                .forEach(c -> caps.add(c.getRpc().getType()));
        assertTrue(caps.containsAll(Set.of(ControllerServiceCapability.RPC.Type.CREATE_DELETE_VOLUME,
                ControllerServiceCapability.RPC.Type.PUBLISH_UNPUBLISH_VOLUME,
                ControllerServiceCapability.RPC.Type.LIST_VOLUMES, ControllerServiceCapability.RPC.Type.GET_CAPACITY)));
    }

    @Test
    void createVolumeIsIdempotentByNameAndRefusesAnIncompatibleRepeat() {
        String name = "pvc-" + "x".repeat(124);
        CreateVolumeResponse a = ctl().createVolume(create(name, 10 * MIB + 1, Map.of("repl", "3", "thin", "true")));
        CreateVolumeResponse b = ctl().createVolume(create(name, 10 * MIB + 1, Map.of("repl", "3", "thin", "true")));
        assertEquals(a, b);
        assertEquals(11 * MIB, a.getVolume().getCapacityBytes(), "rounded up to whole MiB");
        assertEquals(ControllerService.volumeId(name), a.getVolume().getVolumeId());
        Set<String> nodes = new HashSet<>();
        for (Topology t : a.getVolume().getAccessibleTopologyList()) {
            nodes.add(t.getSegmentsOrThrow(ControllerService.TOPOLOGY_KEY));
        }
        assertEquals(Set.of("node-1", "node-2", "node-3"), nodes, "the replicas' nodes");
        assertEquals("3", a.getVolume().getVolumeContextOrThrow("repl"));
        assertEquals(Status.Code.ALREADY_EXISTS, code(() -> ctl().createVolume(create(name, 20 * MIB,
                Map.of("repl", "3", "thin", "true")))));
        assertEquals(Status.Code.ALREADY_EXISTS, code(() -> ctl().createVolume(create(name, 10 * MIB,
                Map.of("repl", "2", "thin", "true")))));
        ctl().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(a.getVolume().getVolumeId()).build());
        ctl().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(a.getVolume().getVolumeId()).build());
        assertTrue(caspian.get("/v0/volumes").isEmpty() || !caspian.get("/v0/volumes").toString()
                .contains(a.getVolume().getVolumeId()));
    }

    @Test
    void badRequestsGetTheSpecsCodes() {
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> ctl().createVolume(create("", MIB, Map.of()))));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> ctl().createVolume(CreateVolumeRequest.newBuilder()
                .setName("no-caps").build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> ctl().createVolume(create("p", MIB,
                Map.of("replicas", "3")))));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> ctl().createVolume(CreateVolumeRequest.newBuilder()
                .setName("multi").addVolumeCapabilities(mount(Mode.MULTI_NODE_MULTI_WRITER)).build())));
        assertEquals(Status.Code.OUT_OF_RANGE, code(() -> ctl().createVolume(CreateVolumeRequest.newBuilder()
                .setName("range").addVolumeCapabilities(mount(Mode.SINGLE_NODE_WRITER)).setCapacityRange(
                        CapacityRange.newBuilder().setRequiredBytes(MIB + 1).setLimitBytes(MIB + 2)).build())));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(() -> ctl().createVolume(create("huge", 4096 * MIB,
                Map.of("repl", "3")))));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> ctl().deleteVolume(DeleteVolumeRequest
                .getDefaultInstance())));
        assertEquals(Status.Code.OK, code(() -> ctl().deleteVolume(DeleteVolumeRequest.newBuilder()
                .setVolumeId("no-such-volume").build())));
        assertEquals(Status.Code.NOT_FOUND, code(() -> ctl().validateVolumeCapabilities(
                ValidateVolumeCapabilitiesRequest.newBuilder().setVolumeId("no-such-volume")
                        .addVolumeCapabilities(mount(Mode.SINGLE_NODE_WRITER)).build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> ctl().validateVolumeCapabilities(
                ValidateVolumeCapabilitiesRequest.newBuilder().addVolumeCapabilities(mount(Mode.SINGLE_NODE_WRITER))
                        .build())));
        ControllerPublishVolumeRequest pub = ControllerPublishVolumeRequest.newBuilder().setVolumeId("v")
                .setNodeId("n").setVolumeCapability(mount(Mode.SINGLE_NODE_WRITER)).build();
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> ctl().controllerPublishVolume(pub.toBuilder()
                .clearVolumeId().build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> ctl().controllerPublishVolume(pub.toBuilder()
                .clearNodeId().build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> ctl().controllerPublishVolume(pub.toBuilder()
                .clearVolumeCapability().build())));
        assertEquals(Status.Code.NOT_FOUND, code(() -> ctl().controllerPublishVolume(pub.toBuilder()
                .setVolumeId("no-such-volume").build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> ctl().controllerUnpublishVolume(
                ControllerUnpublishVolumeRequest.getDefaultInstance())));
        assertEquals(Status.Code.OK, code(() -> ctl().controllerUnpublishVolume(ControllerUnpublishVolumeRequest
                .newBuilder().setVolumeId("no-such-volume").setNodeId("n").build())));
        assertEquals(Status.Code.ABORTED, code(() -> ctl().listVolumes(ListVolumesRequest.newBuilder()
                .setStartingToken("invalid-token").build())));
    }

    @Test
    void publishCarriesWhatTheNodeNeedsAndIsIdempotent() {
        CreateVolumeResponse v = ctl().createVolume(create("pvc-publish", 8 * MIB, Map.of("repl", "2",
                "thin", "true", "nvmeCtrlLossTmo", "-1", "nvmeNrIoQueues", "2")));
        String id = v.getVolume().getVolumeId();
        ValidateVolumeCapabilitiesResponse valid = ctl().validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest
                .newBuilder().setVolumeId(id).addVolumeCapabilities(mount(Mode.SINGLE_NODE_WRITER)).build());
        assertTrue(valid.hasConfirmed());
        assertFalse(ctl().validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest.newBuilder().setVolumeId(id)
                .addVolumeCapabilities(mount(Mode.MULTI_NODE_MULTI_WRITER)).build()).hasConfirmed());
        ControllerPublishVolumeRequest pub = ControllerPublishVolumeRequest.newBuilder().setVolumeId(id)
                .setNodeId("node-2").setVolumeCapability(mount(Mode.SINGLE_NODE_WRITER))
                .putAllVolumeContext(v.getVolume().getVolumeContextMap()).build();
        ControllerPublishVolumeResponse a = ctl().controllerPublishVolume(pub);
        assertEquals(a, ctl().controllerPublishVolume(pub));
        Map<String, String> ctx = a.getPublishContextMap();
        assertEquals("nvmf", ctx.get("protocol"));
        assertEquals("127.0.0.1", ctx.get("address"));
        assertEquals("nqn.2019-05.io.caspian:nexus-" + id, ctx.get("nqn"));
        assertEquals(String.valueOf(caspian.nvmfPort("node-2")), ctx.get("port"), "node-2 runs an io-engine: "
                + "the nexus goes there");
        assertEquals("-1", ctx.get("nvmeCtrlLossTmo"));
        assertEquals("2", ctx.get("nvmeNrIoQueues"));
        assertEquals("node-2", caspian.get("/v0/volumes/" + id).path("target").path("node").asText());
        assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> ctl().controllerPublishVolume(pub.toBuilder()
                .putVolumeContext("protocol", "nbd").build())), "published over nvmf already");
        ctl().controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                .setNodeId("node-2").build());
        ctl().controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                .setNodeId("node-2").build());
        assertTrue(caspian.get("/v0/volumes/" + id).path("target").isNull());
        ctl().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        assertEquals(Status.Code.OK, code(() -> ctl().controllerUnpublishVolume(ControllerUnpublishVolumeRequest
                .newBuilder().setVolumeId(id).setNodeId("node-2").build())), "unpublishing a deleted volume");
    }

    @Test
    void anNbdVolumeIsPublishedWithoutAHostItCannotName() {
        CreateVolumeResponse v = ctl().createVolume(create("pvc-nbd", 8 * MIB, Map.of("repl", "1", "thin", "true",
                "protocol", "nbd")));
        String id = v.getVolume().getVolumeId();
        ControllerPublishVolumeRequest pub = ControllerPublishVolumeRequest.newBuilder().setVolumeId(id)
                .setNodeId("node-1").setVolumeCapability(mount(Mode.SINGLE_NODE_WRITER))
                .putAllVolumeContext(v.getVolume().getVolumeContextMap()).build();
        Map<String, String> ctx = ctl().controllerPublishVolume(pub).getPublishContextMap();
        assertEquals("nbd", ctx.get("protocol"));
        assertEquals(String.valueOf(caspian.nbdPort("node-1")), ctx.get("port"));
        assertEquals(id, ctx.get("export"));
        assertEquals(ctx, ctl().controllerPublishVolume(pub).getPublishContextMap());
        ctl().controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                .setNodeId("node-1").build());
        ctl().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
    }

    @Test
    void listVolumesPagesAndShowsCreatedButNotDeletedVolumes() {
        Set<String> made = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            made.add(ctl().createVolume(create("pvc-list-" + i, MIB, Map.of("thin", "true"))).getVolume()
                    .getVolumeId());
        }
        Set<String> seen = new HashSet<>();
        String token = "";
        int pages = 0;
        do {
            ListVolumesResponse page = ctl().listVolumes(ListVolumesRequest.newBuilder().setMaxEntries(2)
                    .setStartingToken(token).build());
            assertTrue(page.getEntriesCount() <= 2);
            page.getEntriesList().forEach(e -> assertTrue(seen.add(e.getVolume().getVolumeId()), "listed twice"));
            token = page.getNextToken();
            pages++;
        } while (!token.isEmpty() && pages < 100);
        assertTrue(seen.containsAll(made));
        String gone = made.iterator().next();
        ctl().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(gone).build());
        Set<String> after = new HashSet<>();
        ctl().listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesList()
                .forEach(e -> after.add(e.getVolume().getVolumeId()));
        assertFalse(after.contains(gone));
        made.remove(gone);
        assertTrue(after.containsAll(made));
        made.forEach(id -> ctl().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build()));
    }

    @Test
    void capacityIsCountedPerTopologySegment() {
        GetCapacityResponse all = ctl().getCapacity(GetCapacityRequest.getDefaultInstance());
        GetCapacityResponse one = ctl().getCapacity(GetCapacityRequest.newBuilder().setAccessibleTopology(
                Topology.newBuilder().putSegments(ControllerService.TOPOLOGY_KEY, "node-1")).build());
        assertTrue(one.getAvailableCapacity() > 0, one.toString());
        assertTrue(all.getAvailableCapacity() >= 2 * one.getAvailableCapacity(), all + " vs " + one);
        long max = all.getMaximumVolumeSize().getValue();
        assertTrue(max > 0 && max <= all.getAvailableCapacity(), all.toString());
        assertEquals(0, ctl().getCapacity(GetCapacityRequest.newBuilder().setAccessibleTopology(Topology.newBuilder()
                .putSegments(ControllerService.TOPOLOGY_KEY, "no-such-node")).build()).getAvailableCapacity());
        assertNotEquals(Status.Code.OK, code(() -> ctl().getCapacity(GetCapacityRequest.newBuilder()
                .putParameters("bogus", "1").build())));
    }
}
