package io.caspian.pool;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.SyncIo;
import io.caspian.pool.Plan.Zero;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Zeroes byte ranges of the pool disk, all submitted at once so a device can work on them in
 * parallel, then flushes: a range must read back as zeroes after a crash before any record hands
 * it to a replica.
 */
final class Zeroing {

  private static final long TIMEOUT_S = 120;

  private Zeroing() {}

  static void zeroAndFlush(BlockDevice disk, List<Zero> ranges) throws BdevException {
    if (ranges.isEmpty()) {
      return;
    }
    @SuppressWarnings("unchecked")
    CompletableFuture<BdevException>[] done = new CompletableFuture[ranges.size()];
    for (int i = 0; i < done.length; i++) {
      Zero z = ranges.get(i);
      CompletableFuture<BdevException> f = new CompletableFuture<>();
      done[i] = f;
      disk.writeZeroes(z.offset(), z.length(), f::complete);
    }
    for (CompletableFuture<BdevException> f : done) {
      BdevException err;
      try {
        err = f.get(TIMEOUT_S, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw BdevException.of(BdevException.Kind.IO_ERROR, disk.uri(), "zeroing interrupted", e);
      } catch (TimeoutException e) {
        throw BdevException.of(BdevException.Kind.TIMED_OUT, disk.uri(),
            "zeroing did not complete within " + TIMEOUT_S + " s", e);
      } catch (ExecutionException e) {
        throw BdevException.of(BdevException.Kind.IO_ERROR, disk.uri(), "zeroing failed",
            e.getCause());
      }
      if (err != null) {
        throw err;
      }
    }
    SyncIo.flush(disk);
  }
}
