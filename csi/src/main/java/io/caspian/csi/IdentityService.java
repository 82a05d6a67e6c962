package io.caspian.csi;

import com.google.protobuf.BoolValue;
import io.caspian.csi.v1.GetPluginCapabilitiesRequest;
import io.caspian.csi.v1.GetPluginCapabilitiesResponse;
import io.caspian.csi.v1.GetPluginInfoRequest;
import io.caspian.csi.v1.GetPluginInfoResponse;
import io.caspian.csi.v1.IdentityGrpc;
import io.caspian.csi.v1.PluginCapability;
import io.caspian.csi.v1.ProbeRequest;
import io.caspian.csi.v1.ProbeResponse;
import io.grpc.stub.StreamObserver;
import java.util.function.BooleanSupplier;

/** The Identity service every plugin serves: who it is, what it offers, whether it is ready. */
public final class IdentityService extends IdentityGrpc.IdentityImplBase {
    public static final String DRIVER_NAME = "io.caspian.csi";
    public static final String VERSION = "0.1.0";

    private final boolean controller;
    private final BooleanSupplier ready;

    /** {@code controller}: this plugin serves the Controller service; {@code ready}: what Probe answers. */
    public IdentityService(boolean controller, BooleanSupplier ready) {
        this.controller = controller;
        this.ready = ready;
    }

    @Override
    public void getPluginInfo(GetPluginInfoRequest request, StreamObserver<GetPluginInfoResponse> out) {
        out.onNext(GetPluginInfoResponse.newBuilder().setName(DRIVER_NAME).setVendorVersion(VERSION).build());
        out.onCompleted();
    }

    @Override
    public void getPluginCapabilities(GetPluginCapabilitiesRequest request,
                                      StreamObserver<GetPluginCapabilitiesResponse> out) {
        GetPluginCapabilitiesResponse.Builder b = GetPluginCapabilitiesResponse.newBuilder();
        if (controller) {
            b.addCapabilities(service(PluginCapability.Service.Type.CONTROLLER_SERVICE));
        }
        b.addCapabilities(service(PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS));
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void probe(ProbeRequest request, StreamObserver<ProbeResponse> out) {
        out.onNext(ProbeResponse.newBuilder().setReady(BoolValue.of(ready.getAsBoolean())).build());
        out.onCompleted();
    }

    private static PluginCapability service(PluginCapability.Service.Type t) {
        return PluginCapability.newBuilder().setService(PluginCapability.Service.newBuilder().setType(t)).build();
    }
}
