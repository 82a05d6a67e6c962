package io.caspian.pool;

/**
 * A failed pool or replica control operation. The message names the disk URI (or the replica)
 * and what was wrong; callers branch on {@link #kind()}, never on the message.
 */
public final class PoolException extends Exception {

  /** Why a pool operation failed. */
  public enum Kind {
    /** The disk holds no Caspian pool (no superblock magic). */
    NOT_A_POOL,
    /** The superblock or the metadata fails its checksums or its consistency checks. */
    CORRUPT,
    /** Create found a pool or other data where the superblock goes and was not told to overwrite. */
    ALREADY_FORMATTED,
    /** Not enough free clusters. */
    NO_SPACE,
    /** No replica with that uuid. */
    NOT_FOUND,
    /** A replica with that uuid or name exists with a different spec. */
    CONFLICT,
    /** The pool already holds its maximum number of replicas. */
    TOO_MANY_REPLICAS,
    /** A malformed argument: size, name, cluster size. */
    INVALID,
    /** The pool was exported or destroyed. */
    CLOSED,
    /** The disk failed an I/O; after a failed metadata write the pool refuses changes until re-imported. */
    IO
  }

  private final Kind kind;
  private final String detail;

  PoolException(Kind kind, String where, String message, Throwable cause) {
    super(where + ": " + message, cause);
    this.kind = kind;
    this.detail = message;
  }

  /** The same failure, thrown again on the caller's thread (with the caller's stack trace). */
  private PoolException(PoolException other) {
    super(other.getMessage(), other);
    this.kind = other.kind;
    this.detail = other.detail;
  }

  static PoolException rethrown(PoolException other) {
    return new PoolException(other);
  }

  static PoolException of(Kind kind, String where, String message) {
    return new PoolException(kind, where, message, null);
  }

  static PoolException of(Kind kind, String where, String message, Throwable cause) {
    return new PoolException(kind, where, message, cause);
  }

  public Kind kind() {
    return kind;
  }

  /** The message without the name of the disk or replica in front. */
  String detail() {
    return detail;
  }
}
