package io.caspian.bdev;

import java.nio.ByteBuffer;

/**
 * An asynchronous block device: the bottom of the storage stack (Mayastor's {@code BlockDevice}).
 *
 * <p>Offsets and lengths are in bytes and must be multiples of {@link #blockSize()}. Data buffers
 * are direct {@link ByteBuffer}s whose memory at {@code bufOffset} is aligned to {@link
 * #bufferAlignment()}; the device uses the absolute range {@code [bufOffset, bufOffset + length)}
 * and never moves the buffer's position or limit, so one buffer can carry several I/Os at once.
 *
 * <p>Every submit method returns at once and reports through its {@link IoCompletion} exactly
 * once, also for invalid requests (which complete with {@link BdevException.Kind#INVALID} or
 * {@link BdevException.Kind#OUT_OF_RANGE}). Submitting allocates nothing on the success path.
 * Devices are safe for concurrent submission from many threads.
 */
public interface BlockDevice extends AutoCloseable {

  /** The URI this device was opened by; error messages name it. */
  String uri();

  /** Logical block size in bytes: 512 or 4096. */
  int blockSize();

  /** Number of logical blocks. */
  long blockCount();

  /** Size in bytes. */
  default long size() {
    return blockCount() * blockSize();
  }

  /** The alignment data buffers must have in memory (1 when any direct buffer will do). */
  default int bufferAlignment() {
    return 1;
  }

  /** Whether the device does {@code type} natively; every type is accepted either way. */
  default boolean supports(IoType type) {
    return true;
  }

  /**
   * Whether {@code [offset, offset + length)} may hold data. A thin replica answers {@code false}
   * for ranges it never allocated, which certainly read as zeroes; rebuild skips those.
   */
  default boolean mayHoldData(long offset, long length) {
    return true;
  }

  void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done);

  void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done);

  /** Makes every completed write durable. */
  void flush(IoCompletion done);

  /**
   * Tells the device a range is no longer needed. Advisory: the range may read back as zeroes or
   * as its old data. Use {@link #writeZeroes} when zeroes are required.
   */
  void unmap(long offset, long length, IoCompletion done);

  /** Makes a range read back as zeroes, without the caller supplying a buffer of zeroes. */
  void writeZeroes(long offset, long length, IoCompletion done);

  /** Releases the device; I/O submitted afterwards fails with {@link BdevException.Kind#CLOSED}. */
  @Override
  void close();

  /**
   * Closes the device and removes what opening it created, if anything (a new file made for
   * {@code size_mb}): for a caller that opened a device to format it and then refused it, so that
   * a refused request leaves no trace. A device that existed before is only closed.
   */
  default void abandon() {
    close();
  }

  /**
   * Registers the one watcher told when the device loses or regains its backing store (a remote
   * target that went away). Devices that cannot lose it (local files, memory) never call it.
   */
  default void watch(DeviceWatcher watcher) {
  }
}
