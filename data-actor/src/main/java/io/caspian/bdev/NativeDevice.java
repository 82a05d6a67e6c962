package io.caspian.bdev;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * What the kernel-queue devices ({@link AioDevice}, {@link UringDevice}) share: request checks,
 * the slot table, a reaper thread that waits for completion events and runs completions, an
 * admin thread for the rare synchronous operations, and the close protocol.
 *
 * <p>A request gets a slot or fails at once with {@link BdevException.Kind#QUEUE_FULL} when
 * {@code queue_depth} (default 1024) I/Os are already in flight: a fixed table keeps submission
 * free of allocation and makes overload visible to the caller, who owns the retry policy.
 *
 * <p>Close refuses new I/O, lets everything in flight complete normally (slots still queued on
 * the admin thread finish too), and only then destroys the kernel queue and closes the file, on
 * the reaper thread: the kernel can never write into memory that was freed. {@link #close()}
 * waits a bounded time for that; a device whose I/O hangs in the kernel is released later.
 */
abstract sealed class NativeDevice implements BlockDevice permits AioDevice, UringDevice {

  static final int DEFAULT_QUEUE_DEPTH = 1024;
  static final int MAX_QUEUE_DEPTH = 4096;

  private static final System.Logger LOG = System.getLogger(NativeDevice.class.getName());
  private static final long CLOSE_WAIT_S = 10;

  final String uri;
  final NativeFile file;
  final IoSlots slots;
  final Thread reaper;
  private final ThreadPoolExecutor admin;
  private final CountDownLatch released = new CountDownLatch(1);

  NativeDevice(NativeFile file, int queueDepth, String kind) {
    this.uri = file.uri;
    this.file = file;
    this.slots = new IoSlots(queueDepth);
    this.admin = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        r -> daemon(r, kind + "-admin " + file.path));
    admin.allowCoreThreadTimeOut(true);
    this.reaper = daemon(this::reap, kind + "-reaper " + file.path);
  }

  /** The {@code queue_depth} URI parameter. */
  static int queueDepth(DeviceUri u) throws BdevException {
    long qd = u.longParam("queue_depth", DEFAULT_QUEUE_DEPTH);
    if (qd > MAX_QUEUE_DEPTH) {
      throw BdevException.of(BdevException.Kind.CANT_OPEN, u.text(),
          "queue_depth must be at most " + MAX_QUEUE_DEPTH + ", not " + qd);
    }
    return (int) qd;
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Starts the reaper; subclasses call it last in their constructor. */
  final void start() {
    reaper.start();
  }

  // ---- what a kernel queue must provide ----

  /** Queues a read or write for {@code slot}; failures complete the slot. */
  abstract void submitRw(int slot, boolean write, long address, int length, long offset);

  /** Queues a flush (fdatasync) for {@code slot}. */
  abstract void submitFlush(int slot);

  /** Queues an unmap for {@code slot}; by default on the admin thread. */
  void submitUnmap(int slot, long offset, long length) {
    onAdmin(slot, () -> file.discard(offset, length));
  }

  /** Queues a zeroing for {@code slot}; by default on the admin thread. */
  void submitWriteZeroes(int slot, long offset, long length) {
    onAdmin(slot, () -> file.writeZeroes(offset, length));
  }

  /**
   * Submits what the reaper batched, waits for at least one completion event (or a wake-up) and
   * passes each to {@link #complete}.
   */
  abstract void reapRound();

  /** Makes a reaper blocked in {@link #reapRound} return soon. Called only before retirement. */
  abstract void wakeReaper();

  /** Releases the kernel queue; runs on the reaper once nothing is in flight. */
  abstract void destroyQueue();

  // ---- BlockDevice ----

  @Override
  public final String uri() {
    return uri;
  }

  @Override
  public final int blockSize() {
    return file.blockSize;
  }

  @Override
  public final long blockCount() {
    return file.size / file.blockSize;
  }

  /**
   * O_DIRECT needs memory aligned to the logical block size, as it needs offsets and lengths (the
   * open probe checks a transfer of one block). No more is asked: a replica splits an I/O at a
   * cluster boundary, and the piece after it starts inside the caller's buffer at a block multiple,
   * not a page multiple (a file system with 1 KiB blocks sends such I/O).
   */
  @Override
  public final int bufferAlignment() {
    return file.blockSize;
  }

  @Override
  public final void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    data(IoType.READ, offset, buf, bufOffset, length, done);
  }

  @Override
  public final void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    data(IoType.WRITE, offset, buf, bufOffset, length, done);
  }

  private void data(IoType type, long offset, ByteBuffer buf, int bufOffset, int length,
      IoCompletion done) {
    BdevException err = IoChecks.data(this, type, offset, buf, bufOffset, length);
    if (err != null) {
      done.ioDone(err);
      return;
    }
    int slot = slots.acquire(done, type, offset, length);
    if (slot < 0) {
      done.ioDone(refused(slot));
      return;
    }
    submitRw(slot, type == IoType.WRITE, DirectMemory.address(buf) + bufOffset, length, offset);
  }

  @Override
  public final void flush(IoCompletion done) {
    int slot = slots.acquire(done, IoType.FLUSH, 0, 0);
    if (slot < 0) {
      done.ioDone(refused(slot));
      return;
    }
    submitFlush(slot);
  }

  @Override
  public final void unmap(long offset, long length, IoCompletion done) {
    int slot = rangeSlot(IoType.UNMAP, offset, length, done);
    if (slot >= 0) {
      submitUnmap(slot, offset, length);
    }
  }

  @Override
  public final void writeZeroes(long offset, long length, IoCompletion done) {
    int slot = rangeSlot(IoType.WRITE_ZEROES, offset, length, done);
    if (slot >= 0) {
      submitWriteZeroes(slot, offset, length);
    }
  }

  private int rangeSlot(IoType type, long offset, long length, IoCompletion done) {
    BdevException err = IoChecks.range(this, type, offset, length);
    if (err != null) {
      done.ioDone(err);
      return -1;
    }
    int slot = slots.acquire(done, type, offset, length);
    if (slot < 0) {
      done.ioDone(refused(slot));
    }
    return slot;
  }

  private BdevException refused(int acquireResult) {
    return acquireResult == IoSlots.CLOSED
        ? BdevException.io(BdevException.Kind.CLOSED, uri, "device is closed")
        : BdevException.io(BdevException.Kind.QUEUE_FULL, uri,
            "all " + slots.capacity() + " I/O slots are in use (queue_depth)");
  }

  // ---- completion ----

  /** Whether the caller runs on the reaper, where submissions are batched. */
  final boolean onReaper() {
    return Thread.currentThread() == reaper;
  }

  /**
   * Completes {@code slot} with a kernel result: the bytes transferred, or a negative errno.
   * Frees the slot before running the completion, so that the completion can reuse it.
   */
  final void complete(int slot, long result) {
    BdevException err = null;
    if (result != slots.expectedResult(slot)) {
      err = ioError(slot, result);
    }
    IoCompletion done = slots.take(slot);
    if (!onReaper() && slots.drained()) {
      wake();
    }
    try {
      done.ioDone(err);
    } catch (RuntimeException | Error e) {
      LOG.log(Level.ERROR, uri + ": an I/O completion threw; the device carries on", e);
    }
  }

  private BdevException ioError(int slot, long result) {
    String what = slots.describe(slot);
    if (result < 0) {
      int errno = (int) -result;
      // A full file system under a sparse file is a thin pool out of space, not a broken medium.
      BdevException.Kind kind = switch (errno) {
        case Posix.EAGAIN -> BdevException.Kind.QUEUE_FULL;
        case Posix.ENOSPC -> BdevException.Kind.NO_SPACE;
        default -> BdevException.Kind.IO_ERROR;
      };
      return BdevException.io(kind, uri, what + " failed: " + Posix.describe((int) -result));
    }
    return BdevException.io(BdevException.Kind.IO_ERROR, uri,
        what + " transferred " + result + " bytes");
  }

  /** Runs a synchronous operation returning 0 or an errno on the admin thread, then completes. */
  final void onAdmin(int slot, IntSupplier op) {
    try {
      admin.execute(() -> complete(slot, -op.getAsInt()));
    } catch (RejectedExecutionException e) {
      complete(slot, -Posix.EIO);
    }
  }

  private void wake() {
    slots.unlessRetired(this::wakeReaper);
  }

  private void reap() {
    try {
      while (!slots.retireIfDrained()) {
        reapRound();
      }
    } catch (RuntimeException | Error e) {
      // Without a reaper nothing completes; fail loudly rather than hang callers silently.
      LOG.log(Level.ERROR, uri + ": reaper thread died; in-flight I/O will not complete", e);
      throw e;
    }
    try {
      destroyQueue();
      file.close();
      admin.shutdown();
    } finally {
      released.countDown();
    }
  }

  /**
   * Refuses new I/O and waits (boundedly) until everything in flight has completed and the
   * kernel queue and descriptor are released. Called from a completion, it cannot wait for the
   * I/O it is part of, so it returns at once and the release follows.
   */
  @Override
  public final void close() {
    if (slots.close()) {
      wake();
    }
    if (onReaper()) {
      return;
    }
    try {
      if (!released.await(CLOSE_WAIT_S, TimeUnit.SECONDS)) {
        LOG.log(Level.WARNING, uri + ": I/O still in flight " + CLOSE_WAIT_S
            + " s after close; the device is released once it completes");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public final void abandon() {
    close();
    if (file.created) {
      NativeFile.removeQuietly(file.path);
    }
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + uri + ", " + size() + " bytes]";
  }
}
