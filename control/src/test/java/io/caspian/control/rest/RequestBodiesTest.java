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

    /** Issue 16: {@code replicas: 1.5} was stored as 1 and a numeric string taken as a size. */
    @Test
    void valuesAreTakenOnlyAsTheirOwnJsonType() {
        for (String body : new String[] {
                "{\"size\":1048576,\"replicas\":1.5}", "{\"size\":1048576,\"replicas\":1.0}",
                "{\"size\":1048576.0,\"replicas\":1}", "{\"size\":1e6,\"replicas\":1}",
                "{\"size\":\"1048576\",\"replicas\":1}", "{\"size\":1048576,\"replicas\":\"1\"}",
                "{\"size\":\"\",\"replicas\":1}", "{\"size\":1048576,\"replicas\":1,\"thin\":\"true\"}",
                "{\"size\":1048576,\"replicas\":1,\"thin\":1}", "{\"size\":true,\"replicas\":1}",
                "{\"size\":1048576,\"replicas\":1,\"topology\":{\"node_labels\":{\"zone\":7}}}",
                "{\"size\":1048576,\"replicas\":1,\"topology\":{\"pool_labels\":{\"ssd\":true}}}",
                "{\"size\":1048576,\"size\":2097152,\"replicas\":1}",
                "{\"size\":9223372036854775808,\"replicas\":1}",
                "{\"size\":1048576,\"replicas\":4294967297}"}) {
            ControlException e = assertThrows(ControlException.class, () -> RequestBodies.createVolume(body), body);
            assertEquals(Reply.Kind.INVALID, e.kind(), body);
        }
        for (String body : new String[] {"{\"disks\":[7]}", "{\"disks\":[\"malloc:///a?size_mb=8\"],"
                + "\"overwrite\":\"true\"}", "{\"disks\":[\"malloc:///a?size_mb=8\"],\"labels\":{\"a\":1.5}}"}) {
            ControlException e = assertThrows(ControlException.class, () -> RequestBodies.createPool(body), body);
            assertEquals(Reply.Kind.INVALID, e.kind(), body);
        }
        assertEquals(1048576, RequestBodies.createVolume("{\"size\":1048576,\"replicas\":2}").size());
    }

    @Test
    void bodiesThatAreNotTheObjectAreInvalid() {
        for (String body : new String[] {"", " ", "null", "[]", "{\"size\":", "{\"size\":1}", "{\"colour\":1}"}) {
            ControlException e = assertThrows(ControlException.class, () -> RequestBodies.createVolume(body), body);
            assertEquals(Reply.Kind.INVALID, e.kind(), body);
        }
    }
}
