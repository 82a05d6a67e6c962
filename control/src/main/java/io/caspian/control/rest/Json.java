package io.caspian.control.rest;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.util.List;
import java.util.Map;

/** The API's JSON shapes (snake_case on the wire) and the mapper that reads and writes them. */
final class Json {
    /**
     * Reads only what a body says literally: a number where a number belongs, an integer where an integer does, a
     * string where a string does. Jackson's defaults would take {@code "replicas": 1.5} as 1, {@code "size":
     * "1048576"} and {@code "thin": "true"} as what they look like, a number as a label value, and the last of two
     * {@code "size"} keys; a client that sends such a body has a bug the answer should show, not hide.
     */
    static final ObjectMapper MAPPER = strict(JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build());

    private static ObjectMapper strict(ObjectMapper m) {
        // ALLOW_COERCION_OF_SCALARS leaves number -> string alone; a label value of 7 is a type error too.
        m.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        for (LogicalType t : new LogicalType[] {LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
            m.coercionConfigFor(t)
                    .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        }
        m.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
        return m;
    }

    private Json() {
    }

    record Node(String id, String endpoint, String status, boolean cordoned, Map<String, String> labels) {
    }

    record Pool(String id, String node, List<String> disks, Map<String, String> labels, String status,
                String reason, long capacity, long used, long committed) {
    }

    record Replica(String uuid, String pool, String node, long size, boolean thin, String share, String uri,
                   String status, String volume) {
    }

    record Child(String uri, String replica, String state, String reason, int rebuildProgress) {
    }

    /** {@code rebuildBytesPerSecond}: the cap on its rebuilds' copy bandwidth as its io-engine reports it; 0: none. */
    record Nexus(String uuid, String node, long size, String status, String protocol, String deviceUri,
                 List<Child> children, long rebuildBytesPerSecond) {
    }

    record Topology(Map<String, String> nodeLabels, Map<String, String> poolLabels) {
    }

    record VolumeSpec(long size, int replicas, boolean thin, Topology topology) {
    }

    /** {@code hosts}: the host NQNs that may connect; empty: any host. */
    record Target(String node, String protocol, String deviceUri, List<String> hosts) {
    }

    /** {@code reason}: why the volume is short of replicas (e.g. no pool with room), null when it is not. */
    record Volume(String uuid, VolumeSpec spec, String status, String reason, List<String> replicas, Target target) {
    }

    /**
     * One read of a published volume's I/O counters (cumulative since its nexus opened; latencies are sums, in
     * microseconds) and the rates since the previous read, per second; the rates are null without a usable one.
     */
    record VolumeStats(String volume, String node, long timeMs, long readOps, long writeOps, long bytesRead,
                       long bytesWritten, long readLatencyUs, long writeLatencyUs, Double readIops, Double writeIops,
                       Double readBps, Double writeBps) {
    }

    /** A fault to inject on one child; {@code count} absent means every matching I/O until cleared. */
    record InjectFault(String op, Long offset, Long length, Long count) {
    }

    /** {@code overwrite}: format the disk even if it holds data or a signature (absent means false). */
    record CreatePool(List<String> disks, Map<String, String> labels, Boolean overwrite) {
    }

    record CreateVolume(Long size, Integer replicas, Boolean thin, Topology topology) {
    }

    /** {@code GET /v0/health}: always UP, as an answer at all is the news. */
    record Health(String status) {
    }

    record Error(String kind, String message) {
    }
}
