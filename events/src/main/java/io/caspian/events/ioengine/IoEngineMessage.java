package io.caspian.events.ioengine;

/** Marker for everything that crosses JVMs between control and io-engine; bound to {@link IoEngineSerializer}. */
public sealed interface IoEngineMessage permits IoEngineCommand, IoEngineReply, NodeStateReport {
}
