package io.caspian.control.observed;

import io.caspian.events.ioengine.IoEngineReply.FailureKind;

/** An io-engine refused or could not be reached; {@code kind} tells which, the message names node and object. */
public final class IoEngineException extends RuntimeException {
    private final FailureKind kind;
    private final boolean answered;

    /** The io-engine answered with a refusal. */
    public IoEngineException(FailureKind kind, String message) {
        this(kind, message, true);
    }

    private IoEngineException(FailureKind kind, String message, boolean answered) {
        super(message);
        this.kind = kind;
        this.answered = answered;
    }

    /**
     * No answer: the io-engine is unknown, offline or did not answer in time. Apart from an io-engine that answered
     * UNAVAILABLE (its disk failed), because only this case is worth trying again as it is.
     */
    public static IoEngineException unanswered(String message) {
        return new IoEngineException(FailureKind.UNAVAILABLE, message, false);
    }

    public boolean answered() {
        return answered;
    }

    public FailureKind kind() {
        return kind;
    }
}
