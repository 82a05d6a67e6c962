package io.caspian.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Free loopback ports for the JVMs a test starts. A port is probed by binding and closing it, so the kernel may hand
 * the same one out again before its user binds it; each port is therefore given out once per test JVM.
 */
final class Ports {
    private static final Set<Integer> GIVEN = new HashSet<>();

    private Ports() {
    }

    /** A port p such that p and p + 1 are free: {@code caspian up} gives its second io-engine the next port. */
    static synchronized int freePair() throws IOException {
        while (true) {
            int p = free();
            if (GIVEN.contains(p + 1)) {
                continue;
            }
            try (ServerSocket next = new ServerSocket(p + 1, 1, InetAddress.getLoopbackAddress())) {
                GIVEN.add(next.getLocalPort());
                return p;
            } catch (IOException taken) {
                // p + 1 is someone's: try another p
            }
        }
    }

    static synchronized int free() throws IOException {
        while (true) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (GIVEN.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            }
        }
    }
}
