package io.caspian.control.service;

import io.caspian.control.entity.Reply;

/** An operation failed for a reason the caller should see; the kind picks the HTTP status. */
public final class ControlException extends RuntimeException {
    private final Reply.Kind kind;

    public ControlException(Reply.Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Reply.Kind kind() {
        return kind;
    }
}
