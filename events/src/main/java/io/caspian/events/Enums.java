package io.caspian.events;

/** Maps the shared Java enums to their protobuf twins and back; the orders match by design. */
public final class Enums {
    private Enums() {
    }

    public static io.caspian.events.proto.Protocol toProto(Protocol p) {
        return io.caspian.events.proto.Protocol.forNumber(p.ordinal());
    }

    public static Protocol fromProto(io.caspian.events.proto.Protocol p) {
        return p == io.caspian.events.proto.Protocol.UNRECOGNIZED ? Protocol.NONE : Protocol.values()[p.getNumber()];
    }

    public static io.caspian.events.proto.Health toProto(Health h) {
        return io.caspian.events.proto.Health.forNumber(h.ordinal());
    }

    public static Health fromProto(io.caspian.events.proto.Health h) {
        return h == io.caspian.events.proto.Health.UNRECOGNIZED ? Health.UNKNOWN : Health.values()[h.getNumber()];
    }

    public static io.caspian.events.proto.ChildState toProto(ChildState s) {
        return io.caspian.events.proto.ChildState.forNumber(s.ordinal());
    }

    public static ChildState fromProto(io.caspian.events.proto.ChildState s) {
        return s == io.caspian.events.proto.ChildState.UNRECOGNIZED ? ChildState.UNKNOWN
                : ChildState.values()[s.getNumber()];
    }
}
