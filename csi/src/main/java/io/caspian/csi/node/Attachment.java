package io.caspian.csi.node;

import io.caspian.csi.controller.ControllerService;
import io.caspian.csi.controller.Protocol;
import io.caspian.csi.controller.VolumeParameters;
import java.util.Map;
import java.util.OptionalInt;

/** How the node reaches one volume, as the controller put it in the publish context. */
sealed interface Attachment {
    /** An NVMe/TCP subsystem, with the StorageClass's timeouts (unset: the kernel's defaults). */
    record Nvmf(String address, int port, String nqn, OptionalInt ioTimeout, OptionalInt ctrlLossTmo,
                OptionalInt keepAliveTmo, OptionalInt nrIoQueues) implements Attachment {
    }

    /** An NBD export. */
    record Nbd(String address, int port, String export) implements Attachment {
    }

    /** INVALID_ARGUMENT-worthy IllegalArgumentException when the context lacks what the protocol needs. */
    static Attachment fromContext(Map<String, String> ctx) {
        String protocol = need(ctx, ControllerService.CTX_PROTOCOL);
        String address = need(ctx, ControllerService.CTX_ADDRESS);
        int port;
        try {
            port = Integer.parseInt(need(ctx, ControllerService.CTX_PORT));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("publish context 'port' is not a number: " + ctx.get("port"));
        }
        if (Protocol.parse(protocol) == Protocol.NBD) {
            return new Nbd(address, port, need(ctx, ControllerService.CTX_EXPORT));
        }
        return new Nvmf(address, port, need(ctx, ControllerService.CTX_NQN), opt(ctx, VolumeParameters.IO_TIMEOUT),
                opt(ctx, VolumeParameters.CTRL_LOSS_TMO), opt(ctx, VolumeParameters.KEEP_ALIVE_TMO),
                opt(ctx, VolumeParameters.NR_IO_QUEUES));
    }

    private static String need(Map<String, String> ctx, String key) {
        String v = ctx.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("publish context has no '" + key + "' (was the volume published by "
                    + "ControllerPublishVolume of io.caspian.csi?)");
        }
        return v;
    }

    private static OptionalInt opt(Map<String, String> ctx, String key) {
        String v = ctx.get(key);
        if (v == null) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("publish context '" + key + "' is not a number: " + v);
        }
    }
}
