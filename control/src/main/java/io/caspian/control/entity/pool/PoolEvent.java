package io.caspian.control.entity.pool;

import io.caspian.control.entity.ControlMessage;
import io.caspian.events.Health;

/** What happened to a Pool; journaled. */
public sealed interface PoolEvent extends ControlMessage {

    record PoolCreated(PoolSpec spec) implements PoolEvent {
    }

    record PoolStatusChanged(Health status, String reason) implements PoolEvent {
    }

    record PoolDestroyed() implements PoolEvent {
    }
}
