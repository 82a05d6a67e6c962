package io.caspian.csi;

import java.nio.file.Path;

/**
 * Where a plugin serves gRPC: a unix domain socket (what kubelet and the sidecars use) or a TCP address (tests, and
 * a node plugin in a VM, since a unix socket does not cross a shared directory).
 */
public sealed interface Endpoint {
    record Unix(Path path) implements Endpoint {
    }

    record Tcp(String host, int port) implements Endpoint {
    }

    /** {@code unix:///csi/csi.sock}, {@code unix:/csi/csi.sock}, {@code tcp://host:port} or {@code host:port}. */
    static Endpoint parse(String s) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException("--endpoint is required: unix:///path/csi.sock or tcp://host:port");
        }
        if (s.startsWith("unix://")) {
            return unix(s.substring("unix://".length()), s);
        }
        if (s.startsWith("unix:")) {
            return unix(s.substring("unix:".length()), s);
        }
        String hostPort = s.startsWith("tcp://") ? s.substring("tcp://".length()) : s;
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || hostPort.contains("/")) {
            throw new IllegalArgumentException("endpoint '" + s + "' is neither unix:///path nor [tcp://]host:port");
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("endpoint '" + s + "': port is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("endpoint '" + s + "': port must be 0..65535");
        }
        return new Tcp(hostPort.substring(0, colon), port);
    }

    private static Endpoint unix(String path, String original) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("endpoint '" + original + "': a unix socket needs an absolute path");
        }
        return new Unix(Path.of(path));
    }
}
