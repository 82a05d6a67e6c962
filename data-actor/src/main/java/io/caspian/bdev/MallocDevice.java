package io.caspian.bdev;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;

/**
 * A RAM disk in off-heap memory ({@code malloc:///name?size_mb=N&blk_size=512|4096}).
 *
 * <p>I/O completes on the submitting thread. The memory is released when the device becomes
 * unreachable rather than at {@link #close()}: an I/O racing with close then copies from live
 * memory and fails cleanly instead of touching freed pages.
 */
public final class MallocDevice implements BlockDevice {

  private static final Cleaner CLEANER = Cleaner.create();

  private final String uri;
  private final int blockSize;
  private final long blockCount;
  private final long base;
  private volatile boolean closed;

  public MallocDevice(String uri, long sizeBytes, int blockSize) {
    if (blockSize != 512 && blockSize != 4096) {
      throw new IllegalArgumentException(uri + ": block size must be 512 or 4096, not " + blockSize);
    }
    if (sizeBytes <= 0 || sizeBytes % blockSize != 0) {
      throw new IllegalArgumentException(
          uri + ": size " + sizeBytes + " must be a positive multiple of " + blockSize);
    }
    this.uri = uri;
    this.blockSize = blockSize;
    this.blockCount = sizeBytes / blockSize;
    long address = DirectMemory.allocateMemory(sizeBytes);
    DirectMemory.fill(address, sizeBytes, (byte) 0);
    this.base = address;
    CLEANER.register(this, () -> DirectMemory.freeMemory(address));
  }

  @Override
  public String uri() {
    return uri;
  }

  @Override
  public int blockSize() {
    return blockSize;
  }

  @Override
  public long blockCount() {
    return blockCount;
  }

  @Override
  public void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    BdevException err = check(IoType.READ, offset, buf, bufOffset, length);
    if (err == null) {
      DirectMemory.copy(base + offset, DirectMemory.address(buf) + bufOffset, length);
    }
    done.ioDone(err);
  }

  @Override
  public void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    BdevException err = check(IoType.WRITE, offset, buf, bufOffset, length);
    if (err == null) {
      DirectMemory.copy(DirectMemory.address(buf) + bufOffset, base + offset, length);
    }
    done.ioDone(err);
  }

  @Override
  public void flush(IoCompletion done) {
    done.ioDone(closed ? closedError() : null);
  }

  @Override
  public void unmap(long offset, long length, IoCompletion done) {
    writeZeroes(offset, length, done);
  }

  @Override
  public void writeZeroes(long offset, long length, IoCompletion done) {
    BdevException err = closed ? closedError() : IoChecks.range(this, IoType.WRITE_ZEROES, offset, length);
    if (err == null) {
      DirectMemory.fill(base + offset, length, (byte) 0);
    }
    done.ioDone(err);
  }

  @Override
  public void close() {
    closed = true;
  }

  private BdevException check(IoType type, long offset, ByteBuffer buf, int bufOffset, int length) {
    return closed ? closedError() : IoChecks.data(this, type, offset, buf, bufOffset, length);
  }

  private BdevException closedError() {
    return BdevException.io(BdevException.Kind.CLOSED, uri, "device is closed");
  }

  @Override
  public String toString() {
    return "MallocDevice[" + uri + ", " + size() + " bytes]";
  }
}
