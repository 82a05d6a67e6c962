/** Binds control-plane commands, events, snapshots and replies to their protobuf schemas in the events module. */
package io.caspian.control.serialization;
