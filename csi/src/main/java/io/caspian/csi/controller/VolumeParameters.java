package io.caspian.csi.controller;

import io.caspian.csi.Filesystem;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A StorageClass's parameters, checked. Unknown keys are refused (INVALID_ARGUMENT) so that a typo such as
 * {@code replicas: "3"} does not silently give a one-replica volume; keys under {@code csi.storage.k8s.io/} belong
 * to the sidecars and are skipped. The NVMe timeouts are seconds ({@code nvmeCtrlLossTmo} may be -1: retry for
 * ever); unset ones keep the kernel's defaults.
 */
public record VolumeParameters(int replicas, boolean thin, Protocol protocol, Filesystem fsType,
                               OptionalInt nvmeIoTimeout, OptionalInt nvmeCtrlLossTmo, OptionalInt nvmeKeepAliveTmo,
                               OptionalInt nvmeNrIoQueues) {
    public static final String REPL = "repl";
    public static final String THIN = "thin";
    public static final String PROTOCOL = "protocol";
    public static final String FS_TYPE = "fsType";
    public static final String IO_TIMEOUT = "nvmeIoTimeout";
    public static final String CTRL_LOSS_TMO = "nvmeCtrlLossTmo";
    public static final String KEEP_ALIVE_TMO = "nvmeKeepAliveTmo";
    public static final String NR_IO_QUEUES = "nvmeNrIoQueues";
    private static final String SIDECAR_PREFIX = "csi.storage.k8s.io/";

    /** Throws IllegalArgumentException naming the bad key. */
    public static VolumeParameters parse(Map<String, String> p) {
        for (String k : p.keySet()) {
            if (!k.startsWith(SIDECAR_PREFIX) && !java.util.Set.of(REPL, THIN, PROTOCOL, FS_TYPE, IO_TIMEOUT,
                    CTRL_LOSS_TMO, KEEP_ALIVE_TMO, NR_IO_QUEUES).contains(k)) {
                throw new IllegalArgumentException("unknown parameter '" + k + "'; known: repl, thin, protocol, "
                        + "fsType, nvmeIoTimeout, nvmeCtrlLossTmo, nvmeKeepAliveTmo, nvmeNrIoQueues");
            }
        }
        int replicas = p.containsKey(REPL) ? integer(p, REPL, 1, 16).getAsInt() : 1;
        boolean thin = p.containsKey(THIN) && bool(p.get(THIN));
        Protocol protocol = p.containsKey(PROTOCOL) ? Protocol.parse(p.get(PROTOCOL)) : Protocol.NVMF;
        Filesystem fs = Filesystem.parse(p.get(FS_TYPE));
        return new VolumeParameters(replicas, thin, protocol, fs, integer(p, IO_TIMEOUT, 1, 3600),
                integer(p, CTRL_LOSS_TMO, -1, 86400), integer(p, KEEP_ALIVE_TMO, 1, 3600),
                integer(p, NR_IO_QUEUES, 1, 128));
    }

    /** The normalised parameters as the volume context (what ControllerPublishVolume reads back). */
    public Map<String, String> context() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(REPL, Integer.toString(replicas));
        m.put(THIN, Boolean.toString(thin));
        m.put(PROTOCOL, protocol.wire);
        m.put(FS_TYPE, fsType.type);
        nvmeIoTimeout.ifPresent(v -> m.put(IO_TIMEOUT, Integer.toString(v)));
        nvmeCtrlLossTmo.ifPresent(v -> m.put(CTRL_LOSS_TMO, Integer.toString(v)));
        nvmeKeepAliveTmo.ifPresent(v -> m.put(KEEP_ALIVE_TMO, Integer.toString(v)));
        nvmeNrIoQueues.ifPresent(v -> m.put(NR_IO_QUEUES, Integer.toString(v)));
        return m;
    }

    private static boolean bool(String v) {
        return switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException("parameter 'thin' must be true or false, got '" + v + "'");
        };
    }

    private static OptionalInt integer(Map<String, String> p, String key, int min, int max) {
        String v = p.get(key);
        if (v == null) {
            return OptionalInt.empty();
        }
        int n;
        try {
            n = Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("parameter '" + key + "' must be an integer, got '" + v + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("parameter '" + key + "' must be " + min + ".." + max + ", got " + n);
        }
        return OptionalInt.of(n);
    }
}
