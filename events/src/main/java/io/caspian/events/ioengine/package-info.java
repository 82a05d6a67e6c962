/**
 * The protocol between the control plane and an io-engine's {@code DataNode} actor: idempotent commands, replies
 * with the resulting state or a failure, and state reports. The records here are what actors exchange; the
 * protobuf in {@code caspian/ioengine.proto} is what crosses JVMs ({@link io.caspian.events.ioengine.IoEngineSerializer}).
 */
package io.caspian.events.ioengine;
