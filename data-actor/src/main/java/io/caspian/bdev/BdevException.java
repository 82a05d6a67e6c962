package io.caspian.bdev;

/**
 * A failed block device operation. The message always names the device URI and what was wrong.
 *
 * <p>I/O completions carry instances without a stack trace: an error completion is data about the
 * device, not about the code path, and filling a trace per failed I/O would make a failing disk
 * expensive exactly when the node is under stress.
 */
public final class BdevException extends Exception {

  /** Why an operation failed; callers branch on this, never on the message. */
  public enum Kind {
    /** The medium or transport reported an error. */
    IO_ERROR,
    /** A thin allocation found no free cluster, or a malloc device no memory. */
    NO_SPACE,
    /** Offset or length lies outside the device. */
    OUT_OF_RANGE,
    /** Misaligned offset, length or buffer, or another malformed request. */
    INVALID,
    /** The device cannot do this operation. */
    NOT_SUPPORTED,
    /** The I/O did not complete in time. */
    TIMED_OUT,
    /** The device was closed. */
    CLOSED,
    /** More I/Os are outstanding than the device can track. */
    QUEUE_FULL,
    /** The URI names no device, or a device that cannot be opened. */
    CANT_OPEN,
    /**
     * Another host holds the device's reservation (NVMe Reservation Conflict): this host has
     * been fenced off, and retrying cannot help until it is registered again.
     */
    RESERVATION_CONFLICT
  }

  private final Kind kind;
  private final String uri;

  private BdevException(Kind kind, String uri, String message, Throwable cause, boolean trace) {
    super(uri + ": " + message, cause, false, trace);
    this.kind = kind;
    this.uri = uri;
  }

  /** An error for an I/O completion: cheap, without a stack trace. */
  public static BdevException io(Kind kind, String uri, String message) {
    return new BdevException(kind, uri, message, null, false);
  }

  /** An error for a synchronous call (open, create), with a stack trace and an optional cause. */
  public static BdevException of(Kind kind, String uri, String message, Throwable cause) {
    return new BdevException(kind, uri, message, cause, true);
  }

  public static BdevException of(Kind kind, String uri, String message) {
    return of(kind, uri, message, null);
  }

  public Kind kind() {
    return kind;
  }

  /** The URI of the device that failed. */
  public String uri() {
    return uri;
  }
}
