package io.caspian.events;

/**
 * Maps the shared Java enums to their protobuf twins and back, constant by constant. Never by ordinal: these values
 * are journaled, and reordering or inserting a Java constant must not change what a stored number means. The switch
 * expressions have no default, so a constant added on either side without a mapping does not compile; a number this
 * version does not know (UNRECOGNIZED, from a newer writer) reads as the "don't know" value.
 */
public final class Enums {
    private Enums() {
    }

    public static io.caspian.events.proto.Protocol toProto(Protocol p) {
        return switch (p) {
            case NONE -> io.caspian.events.proto.Protocol.PROTOCOL_NONE;
            case NVMF -> io.caspian.events.proto.Protocol.PROTOCOL_NVMF;
            case NBD -> io.caspian.events.proto.Protocol.PROTOCOL_NBD;
        };
    }

    public static Protocol fromProto(io.caspian.events.proto.Protocol p) {
        return switch (p) {
            case PROTOCOL_NONE, UNRECOGNIZED -> Protocol.NONE;
            case PROTOCOL_NVMF -> Protocol.NVMF;
            case PROTOCOL_NBD -> Protocol.NBD;
        };
    }

    public static io.caspian.events.proto.Health toProto(Health h) {
        return switch (h) {
            case UNKNOWN -> io.caspian.events.proto.Health.HEALTH_UNKNOWN;
            case ONLINE -> io.caspian.events.proto.Health.HEALTH_ONLINE;
            case DEGRADED -> io.caspian.events.proto.Health.HEALTH_DEGRADED;
            case FAULTED -> io.caspian.events.proto.Health.HEALTH_FAULTED;
        };
    }

    public static Health fromProto(io.caspian.events.proto.Health h) {
        return switch (h) {
            case HEALTH_UNKNOWN, UNRECOGNIZED -> Health.UNKNOWN;
            case HEALTH_ONLINE -> Health.ONLINE;
            case HEALTH_DEGRADED -> Health.DEGRADED;
            case HEALTH_FAULTED -> Health.FAULTED;
        };
    }

    public static io.caspian.events.proto.ChildState toProto(ChildState s) {
        return switch (s) {
            case UNKNOWN -> io.caspian.events.proto.ChildState.CHILD_UNKNOWN;
            case ONLINE -> io.caspian.events.proto.ChildState.CHILD_ONLINE;
            case DEGRADED -> io.caspian.events.proto.ChildState.CHILD_DEGRADED;
            case FAULTED -> io.caspian.events.proto.ChildState.CHILD_FAULTED;
        };
    }

    public static ChildState fromProto(io.caspian.events.proto.ChildState s) {
        return switch (s) {
            case CHILD_UNKNOWN, UNRECOGNIZED -> ChildState.UNKNOWN;
            case CHILD_ONLINE -> ChildState.ONLINE;
            case CHILD_DEGRADED -> ChildState.DEGRADED;
            case CHILD_FAULTED -> ChildState.FAULTED;
        };
    }
}
