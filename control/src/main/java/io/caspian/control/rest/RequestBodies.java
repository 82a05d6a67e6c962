package io.caspian.control.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.volume.VolumeSpec;
import io.caspian.control.service.ControlException;
import java.util.List;
import java.util.Map;

/**
 * Turns the JSON bodies of the v0 API's requests into what the services take. Any bytes a client sends end here in
 * either those values or a {@link ControlException} of kind INVALID (a 400 with a JSON message): an unchecked
 * exception from a body would be a 500, and a null slipping through would become one later, in a service.
 */
final class RequestBodies {

    /** A pool-create body: {@code labels} never null and holding no null value. */
    record CreatePool(List<String> disks, Map<String, String> labels, boolean overwrite) {
    }

    private RequestBodies() {
    }

    static CreatePool createPool(String body) {
        Json.CreatePool req = parse(body, Json.CreatePool.class);
        return new CreatePool(req.disks(), labels("labels", req.labels()), Boolean.TRUE.equals(req.overwrite()));
    }

    static VolumeSpec createVolume(String body) {
        Json.CreateVolume req = parse(body, Json.CreateVolume.class);
        if (req.size() == null || req.replicas() == null) {
            throw new ControlException(Reply.Kind.INVALID, "a volume needs \"size\" (bytes) and \"replicas\"");
        }
        Json.Topology t = req.topology();
        return new VolumeSpec(req.size(), req.replicas(), Boolean.TRUE.equals(req.thin()),
                labels("topology.node_labels", t == null ? null : t.nodeLabels()),
                labels("topology.pool_labels", t == null ? null : t.poolLabels()));
    }

    static Json.InjectFault injectFault(String body) {
        Json.InjectFault f = parse(body, Json.InjectFault.class);
        if (f.length() == null) {
            throw new ControlException(Reply.Kind.INVALID, "a fault needs \"op\" and \"length\" (bytes); \"offset\" "
                    + "defaults to 0");
        }
        return f;
    }

    /** Labels as given, or none; JSON allows {@code "key": null}, a label does not. */
    private static Map<String, String> labels(String field, Map<String, String> labels) {
        if (labels == null) {
            return Map.of();
        }
        for (Map.Entry<String, String> e : labels.entrySet()) {
            if (e.getValue() == null) {
                throw new ControlException(Reply.Kind.INVALID, "\"" + field + "\": label '" + e.getKey()
                        + "' needs a string value, not null");
            }
        }
        return Map.copyOf(labels);
    }

    private static <T> T parse(String body, Class<T> type) {
        if (body == null || body.isBlank()) {
            throw new ControlException(Reply.Kind.INVALID, "the request needs a JSON body");
        }
        try {
            T value = Json.MAPPER.readValue(body, type);
            if (value == null) {
                throw new ControlException(Reply.Kind.INVALID, "the JSON body must be an object");
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new ControlException(Reply.Kind.INVALID, "invalid JSON body: " + e.getOriginalMessage());
        }
    }
}
