package io.caspian.control.entity;

/** Marker for entity commands, events, states and replies: bound to the protobuf serializer, never Java's. */
public interface ControlMessage {
}
