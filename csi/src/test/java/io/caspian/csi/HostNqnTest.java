package io.caspian.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HostNqnTest {
    @Test
    void theControllerAndTheNodeDeriveTheSameNqnFromTheNodeId() {
        assertEquals("nqn.2019-05.io.caspian:node:worker-1", HostNqn.of("worker-1"));
        String odd = HostNqn.of("a node/with spaces");
        assertTrue(odd.startsWith("nqn.2019-05.io.caspian:node:") && odd.length() == 28 + 36, odd);
        assertEquals(odd, HostNqn.of("a node/with spaces"));
        assertEquals(HostNqn.hostId("worker-1"), HostNqn.hostId("worker-1"));
    }
}
