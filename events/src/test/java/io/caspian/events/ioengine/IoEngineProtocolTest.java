package io.caspian.events.ioengine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class IoEngineProtocolTest {

    @Test
    void aNodesHostNqnIsDerivedFromItsIdAlone() {
        assertEquals("nqn.2019-05.io.caspian:node:io-1", IoEngineProtocol.hostNqn("io-1"));
        assertEquals(IoEngineProtocol.hostNqn("io-1"), IoEngineProtocol.hostNqn("io-1"));
        assertNotEquals(IoEngineProtocol.hostNqn("io-1"), IoEngineProtocol.hostNqn("io-2"));
    }

    @Test
    void aNodeIdTooLongForAnNqnStillGivesAValidDistinctOne() {
        String a = IoEngineProtocol.hostNqn("n".repeat(300));
        String b = IoEngineProtocol.hostNqn("m".repeat(300));
        assertTrue(a.getBytes(StandardCharsets.UTF_8).length <= 223, a);
        assertTrue(a.startsWith("nqn.2019-05.io.caspian:node:uuid:"), a);
        assertNotEquals(a, b);
    }
}
