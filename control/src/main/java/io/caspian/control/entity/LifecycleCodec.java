package io.caspian.control.entity;

/**
 * {@link Lifecycle} to its protobuf twin and back, constant by constant: the value is journaled in every snapshot,
 * so its stored number must not follow the Java declaration order. No default: a new constant must be mapped here
 * before the code compiles.
 */
public final class LifecycleCodec {
    private LifecycleCodec() {
    }

    public static io.caspian.events.proto.Lifecycle toProto(Lifecycle l) {
        return switch (l) {
            case ABSENT -> io.caspian.events.proto.Lifecycle.LIFECYCLE_ABSENT;
            case ACTIVE -> io.caspian.events.proto.Lifecycle.LIFECYCLE_ACTIVE;
            case DESTROYED -> io.caspian.events.proto.Lifecycle.LIFECYCLE_DESTROYED;
        };
    }

    public static Lifecycle fromProto(io.caspian.events.proto.Lifecycle l) {
        return switch (l) {
            case LIFECYCLE_ABSENT -> Lifecycle.ABSENT;
            case LIFECYCLE_ACTIVE -> Lifecycle.ACTIVE;
            case LIFECYCLE_DESTROYED -> Lifecycle.DESTROYED;
            // A snapshot from a newer version with a lifecycle this one does not know: replaying it as anything
            // would be a guess about whether the entity exists.
            case UNRECOGNIZED -> throw new IllegalArgumentException("unknown lifecycle in a stored state");
        };
    }
}
