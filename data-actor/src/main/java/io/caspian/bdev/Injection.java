package io.caspian.bdev;

import java.util.Objects;

/**
 * One error-injection rule: fail I/Os of {@code type} that touch {@code [offset, offset+length)}
 * at {@code stage}, {@code count} times or, when {@code count} is {@link #UNTIL_CLEARED}, until
 * the rule is cleared. Flushes carry no range and match any rule for {@link IoType#FLUSH}.
 *
 * @param error the kind of error the failed I/O reports
 */
public record Injection(IoType type, Stage stage, long offset, long length, long count,
    BdevException.Kind error) {

  /** A count meaning "every matching I/O, until cleared". */
  public static final long UNTIL_CLEARED = -1;

  /** Where an injected fault strikes. */
  public enum Stage {
    /** The I/O is refused before it reaches the device: nothing is read or written. */
    SUBMIT,
    /** The I/O runs on the device, then reports failure: a write may have landed. */
    COMPLETION
  }

  public Injection {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(stage, "stage");
    Objects.requireNonNull(error, "error");
    if (offset < 0 || length <= 0) {
      throw new IllegalArgumentException("injection range must be non-negative offset, positive length");
    }
    if (count == 0 || count < UNTIL_CLEARED) {
      throw new IllegalArgumentException("injection count must be positive or UNTIL_CLEARED");
    }
  }

  /** Fails every I/O of {@code type} on the whole device at submission, until cleared. */
  public static Injection always(IoType type) {
    return new Injection(type, Stage.SUBMIT, 0, Long.MAX_VALUE, UNTIL_CLEARED,
        BdevException.Kind.IO_ERROR);
  }

  boolean matches(IoType t, long ioOffset, long ioLength) {
    if (t != type) {
      return false;
    }
    if (t == IoType.FLUSH) {
      return true;
    }
    return ioOffset < offset + length && offset < ioOffset + ioLength;
  }
}
