package io.caspian.control.entity;

/** The state of one entity: what an {@link Reply.Ok} carries and what snapshots hold. */
public interface EntityState extends ControlMessage {
    String id();

    Lifecycle lifecycle();

    default boolean active() {
        return lifecycle() == Lifecycle.ACTIVE;
    }
}
