package io.caspian.bdev;

/** The kinds of I/O a block device accepts. */
public enum IoType {
  READ,
  WRITE,
  FLUSH,
  UNMAP,
  WRITE_ZEROES;

  private static final IoType[] VALUES = values();

  /** Same as {@link #values()} without the defensive copy, for hot paths. */
  public static IoType of(int ordinal) {
    return VALUES[ordinal];
  }

  public static int count() {
    return VALUES.length;
  }
}
