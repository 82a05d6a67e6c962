package io.caspian.bdev;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Blocking wrappers for control-path code (pool import, metadata, tests). Never use these on an
 * I/O thread: they wait for the completion and allocate per call.
 */
public final class SyncIo {

  /** Long enough for any healthy device; a hung device becomes an error, not a hung caller. */
  private static final long TIMEOUT_S = 120;

  private SyncIo() {}

  public static void read(BlockDevice dev, long offset, ByteBuffer buf, int bufOffset, int length)
      throws BdevException {
    await(dev, IoType.READ, f -> dev.read(offset, buf, bufOffset, length, f));
  }

  public static void write(BlockDevice dev, long offset, ByteBuffer buf, int bufOffset, int length)
      throws BdevException {
    await(dev, IoType.WRITE, f -> dev.write(offset, buf, bufOffset, length, f));
  }

  /** Reads {@code buf.remaining()} bytes at its position. */
  public static void read(BlockDevice dev, long offset, ByteBuffer buf) throws BdevException {
    read(dev, offset, buf, buf.position(), buf.remaining());
  }

  /** Writes {@code buf.remaining()} bytes from its position. */
  public static void write(BlockDevice dev, long offset, ByteBuffer buf) throws BdevException {
    write(dev, offset, buf, buf.position(), buf.remaining());
  }

  public static void flush(BlockDevice dev) throws BdevException {
    await(dev, IoType.FLUSH, dev::flush);
  }

  public static void unmap(BlockDevice dev, long offset, long length) throws BdevException {
    await(dev, IoType.UNMAP, f -> dev.unmap(offset, length, f));
  }

  public static void writeZeroes(BlockDevice dev, long offset, long length) throws BdevException {
    await(dev, IoType.WRITE_ZEROES, f -> dev.writeZeroes(offset, length, f));
  }

  private static void await(BlockDevice dev, IoType type, Consumer<IoCompletion> submit)
      throws BdevException {
    CompletableFuture<BdevException> result = new CompletableFuture<>();
    submit.accept(result::complete);
    BdevException err;
    try {
      err = result.get(TIMEOUT_S, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw BdevException.of(BdevException.Kind.IO_ERROR, dev.uri(), type + " interrupted", e);
    } catch (TimeoutException e) {
      throw BdevException.of(BdevException.Kind.TIMED_OUT, dev.uri(),
          type + " did not complete within " + TIMEOUT_S + " s", e);
    } catch (ExecutionException e) {
      throw BdevException.of(BdevException.Kind.IO_ERROR, dev.uri(), type + " failed", e.getCause());
    }
    if (err != null) {
      throw err;
    }
  }
}
