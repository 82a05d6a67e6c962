package io.caspian.control.observed;

import io.caspian.events.ioengine.IoEngineReply.FailureKind;

/** An io-engine refused or could not be reached; {@code kind} tells which, the message names node and object. */
public final class IoEngineException extends RuntimeException {
    private final FailureKind kind;

    public IoEngineException(FailureKind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public FailureKind kind() {
        return kind;
    }
}
