package io.caspian.control.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.entity.Reply;
import io.caspian.control.service.ControlException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestBodiesTest {

    /** RequestBodiesFuzzTest's contract: a null label value reached Map.copyOf in the spec and answered 500. */
    @Test
    void nullLabelValuesAreRefusedAsInvalid() {
        ControlException pool = assertThrows(ControlException.class, () -> RequestBodies.createPool(
                "{\"disks\":[\"malloc:///a?size_mb=8\"],\"labels\":{\"zone\":null}}"));
        assertEquals(Reply.Kind.INVALID, pool.kind());
        assertTrue(pool.getMessage().contains("zone"), pool.getMessage());

        ControlException volume = assertThrows(ControlException.class, () -> RequestBodies.createVolume(
                "{\"size\":1048576,\"replicas\":1,\"topology\":{\"pool_labels\":{\"tier\":null}}}"));
        assertEquals(Reply.Kind.INVALID, volume.kind());
        assertTrue(volume.getMessage().contains("topology.pool_labels"), volume.getMessage());
    }

    @Test
    void absentLabelsAreNone() {
        assertEquals(Map.of(), RequestBodies.createPool("{\"disks\":[\"malloc:///a?size_mb=8\"]}").labels());
        assertEquals(Map.of("zone", "a"), RequestBodies.createVolume(
                "{\"size\":1048576,\"replicas\":1,\"topology\":{\"node_labels\":{\"zone\":\"a\"}}}").nodeLabels());
    }

    @Test
    void bodiesThatAreNotTheObjectAreInvalid() {
        for (String body : new String[] {"", " ", "null", "[]", "{\"size\":", "{\"size\":1}", "{\"colour\":1}"}) {
            ControlException e = assertThrows(ControlException.class, () -> RequestBodies.createVolume(body), body);
            assertEquals(Reply.Kind.INVALID, e.kind(), body);
        }
    }
}
