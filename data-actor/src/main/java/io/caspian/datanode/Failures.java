package io.caspian.datanode;

import io.caspian.bdev.BdevException;
import io.caspian.events.ioengine.IoEngineReply.Failed;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.pool.PoolException;
import java.util.concurrent.CompletionException;

/** Turns storage exceptions into protocol failures whose message names the object and the cause. */
final class Failures {

  private Failures() {
  }

  /** A failure the actors raise themselves, already in protocol terms. */
  static final class Refused extends Exception {
    final FailureKind kind;

    Refused(FailureKind kind, String message) {
      super(message, null, false, false);
      this.kind = kind;
    }
  }

  static Failed of(Throwable t) {
    Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (e instanceof Refused r) {
      return new Failed(r.kind, r.getMessage());
    }
    if (e instanceof PoolException p) {
      return new Failed(switch (p.kind()) {
        case NOT_A_POOL, NOT_FOUND -> FailureKind.NOT_FOUND;
        case CONFLICT -> FailureKind.ALREADY_EXISTS;
        case NO_SPACE, TOO_MANY_REPLICAS -> FailureKind.RESOURCE_EXHAUSTED;
        case INVALID, ALREADY_FORMATTED -> FailureKind.INVALID_ARGUMENT;
        case CLOSED, IO -> FailureKind.UNAVAILABLE;
        case CORRUPT -> FailureKind.INTERNAL;
      }, p.getMessage());
    }
    if (e instanceof BdevException b) {
      return new Failed(switch (b.kind()) {
        case INVALID, OUT_OF_RANGE -> FailureKind.INVALID_ARGUMENT;
        case CANT_OPEN, CLOSED, IO_ERROR, TIMED_OUT -> FailureKind.UNAVAILABLE;
        case NO_SPACE -> FailureKind.RESOURCE_EXHAUSTED;
        // A newer nexus holds the replica: this one was superseded, retrying cannot help.
        case RESERVATION_CONFLICT -> FailureKind.FAILED_PRECONDITION;
        default -> FailureKind.INTERNAL;
      }, b.getMessage());
    }
    if (e instanceof IllegalArgumentException) {
      return new Failed(FailureKind.INVALID_ARGUMENT, e.getMessage());
    }
    return new Failed(FailureKind.INTERNAL, String.valueOf(e));
  }

  static Refused refused(FailureKind kind, String message) {
    return new Refused(kind, message);
  }
}
