package io.caspian.control.entity;

/** An entity's answer to a command: its state after the command, or why the command was refused. */
public sealed interface Reply extends ControlMessage {

    record Ok(EntityState state) implements Reply {
    }

    record Rejected(Kind kind, String message) implements Reply {
    }

    /** Why a command was refused; the REST API maps these to 404, 409, 400, 422 and 503. */
    enum Kind { NOT_FOUND, CONFLICT, INVALID, UNPROCESSABLE, UNAVAILABLE }

    static Reply ok(EntityState state) {
        return new Ok(state);
    }

    static Reply notFound(String type, String id) {
        return new Rejected(Kind.NOT_FOUND, type + " '" + id + "' does not exist");
    }

    static Reply conflict(String message) {
        return new Rejected(Kind.CONFLICT, message);
    }

    static Reply invalid(String message) {
        return new Rejected(Kind.INVALID, message);
    }
}
