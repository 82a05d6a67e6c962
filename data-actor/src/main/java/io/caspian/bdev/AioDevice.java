package io.caspian.bdev;

/**
 * A file or block device driven by Linux native AIO ({@code aio:///path}, {@code file:///path},
 * or a bare {@code /dev/...} path) on an O_DIRECT descriptor.
 *
 * <p>Each slot owns a preallocated iocb whose {@code aio_data} is the slot index. A thread other
 * than the reaper submits its iocb with its own {@code io_submit}; the reaper, which runs the
 * completions and so receives the resubmissions of callers that keep a queue full, only collects
 * iocbs and submits them all in one {@code io_submit} before it waits again. Flush is an
 * {@code IOCB_CMD_FDSYNC}; unmap and zeroing run on the admin thread (fallocate or
 * BLKDISCARD/BLKZEROOUT), since AIO has no command for them.
 */
final class AioDevice extends NativeDevice {

  private static final long SYS_IO_SETUP = 206;
  private static final long SYS_IO_DESTROY = 207;
  private static final long SYS_IO_GETEVENTS = 208;
  private static final long SYS_IO_SUBMIT = 209;

  private static final short IOCB_CMD_PREAD = 0;
  private static final short IOCB_CMD_PWRITE = 1;
  private static final short IOCB_CMD_FDSYNC = 3;

  private static final int IOCB_SIZE = 64;
  private static final int EVENT_SIZE = 32;
  /** Wake-ups that may be in flight at once; each takes an event in the context. */
  private static final int WAKE_EVENTS = 8;

  private final Posix.LibC libc;
  private final long ctx;
  private final int wakeSlot;
  private final int maxEvents;
  /** One block: the iocbs (slot table plus the wake iocb), then pointers to each, the reaper's
   *  batch of pointers, its event array and its wait timeout. */
  private final long memory;
  private final long iocbs;
  private final long iocbPointers;
  private final long batch;
  private final long events;
  private final jnr.ffi.Pointer timeout;
  /** Reaper-only: iocb pointers collected in {@link #batch}. */
  private int batched;
  /** False once the kernel refused an FDSYNC iocb: flushes then run fdatasync on the admin thread. */
  private volatile boolean aioFsync = true;

  private AioDevice(NativeFile file, Posix.LibC libc, int queueDepth) throws BdevException {
    super(file, queueDepth, "aio");
    this.libc = libc;
    this.wakeSlot = queueDepth;
    this.maxEvents = queueDepth + WAKE_EVENTS;
    int iocbCount = queueDepth + 1;
    long bytes = (long) iocbCount * IOCB_SIZE + (long) iocbCount * 8 + (long) queueDepth * 8
        + (long) maxEvents * EVENT_SIZE + 16 + 8;
    this.memory = DirectMemory.allocateMemory(bytes);
    DirectMemory.fill(memory, bytes, (byte) 0);
    this.iocbs = memory;
    this.iocbPointers = iocbs + (long) iocbCount * IOCB_SIZE;
    this.batch = iocbPointers + (long) iocbCount * 8;
    this.events = batch + (long) queueDepth * 8;
    long timespec = events + (long) maxEvents * EVENT_SIZE;
    this.timeout = Posix.pointer(timespec);
    long ctxCell = timespec + 16;
    for (int i = 0; i < iocbCount; i++) {
      DirectMemory.putLong(iocbPointers + 8L * i, iocbs + (long) IOCB_SIZE * i);
    }
    // A bounded wait lets the reaper notice close even if a wake-up could not be submitted.
    DirectMemory.putLong(timespec, 1);
    if (libc.syscall3(SYS_IO_SETUP, maxEvents, ctxCell) != 0) {
      int errno = Posix.errno();
      DirectMemory.freeMemory(memory);
      throw BdevException.of(BdevException.Kind.CANT_OPEN, uri, "io_setup(" + maxEvents
          + ") failed: " + Posix.describe(errno)
          + (errno == Posix.EAGAIN ? "; raise fs.aio-max-nr or lower queue_depth" : ""));
    }
    this.ctx = DirectMemory.getLong(ctxCell);
    start();
  }

  static BlockDevice open(DeviceUri u) throws BdevException {
    int queueDepth = queueDepth(u);
    NativeFile file = NativeFile.open(u);
    try {
      return new AioDevice(file, Posix.load(u.text()), queueDepth);
    } catch (BdevException | RuntimeException e) {
      file.close();
      throw e;
    }
  }

  @Override
  void submitRw(int slot, boolean write, long address, int length, long offset) {
    prepare(slot, write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD, address, length, offset);
    submit(slot);
  }

  @Override
  void submitFlush(int slot) {
    if (!aioFsync) {
      onAdmin(slot, file::fdatasync);
      return;
    }
    prepare(slot, IOCB_CMD_FDSYNC, 0, 0, 0);
    submit(slot);
  }

  private void prepare(int slot, short opcode, long address, long length, long offset) {
    long cb = iocbs + (long) IOCB_SIZE * slot;
    DirectMemory.putLong(cb, slot);
    DirectMemory.putLong(cb + 8, 0);
    DirectMemory.putShort(cb + 16, opcode);
    DirectMemory.putShort(cb + 18, (short) 0);
    DirectMemory.putInt(cb + 20, file.fd);
    DirectMemory.putLong(cb + 24, address);
    DirectMemory.putLong(cb + 32, length);
    DirectMemory.putLong(cb + 40, offset);
    DirectMemory.putLong(cb + 48, 0);
    DirectMemory.putLong(cb + 56, 0);
  }

  private void submit(int slot) {
    long pointer = iocbPointers + 8L * slot;
    if (onReaper()) {
      DirectMemory.putLong(batch + 8L * batched++, DirectMemory.getLong(pointer));
      return;
    }
    long n = libc.syscall4(SYS_IO_SUBMIT, ctx, 1, pointer);
    if (n != 1) {
      refusedByKernel(slot, n < 0 ? Posix.errno() : Posix.EAGAIN);
    }
  }

  /** An iocb io_submit refused: completes its slot, or reroutes a flush the kernel cannot do. */
  private void refusedByKernel(int slot, int errno) {
    if (errno == Posix.EINVAL && slots.type(slot) == IoType.FLUSH) {
      aioFsync = false;
      onAdmin(slot, file::fdatasync);
      return;
    }
    complete(slot, -errno);
  }

  @Override
  void reapRound() {
    submitBatch();
    long n = libc.syscall6(SYS_IO_GETEVENTS, ctx, 1, maxEvents, events, timeout);
    if (n < 0) {
      int errno = Posix.errno();
      if (errno == Posix.EINTR) {
        return;
      }
      throw new IllegalStateException(uri + ": io_getevents failed: " + Posix.describe(errno));
    }
    for (int i = 0; i < n; i++) {
      long ev = events + (long) EVENT_SIZE * i;
      int slot = (int) DirectMemory.getLong(ev);
      if (slot != wakeSlot) {
        complete(slot, DirectMemory.getLong(ev + 16));
      }
    }
  }

  /** Submits the reaper's batch; completions of refused iocbs may add to it, so loop. */
  private void submitBatch() {
    int done = 0;
    while (done < batched) {
      long n = libc.syscall4(SYS_IO_SUBMIT, ctx, batched - done, batch + 8L * done);
      if (n > 0) {
        done += (int) n;
        continue;
      }
      int errno = n < 0 ? Posix.errno() : Posix.EAGAIN;
      if (errno == Posix.EINTR) {
        continue;
      }
      long cb = DirectMemory.getLong(batch + 8L * done);
      done++;
      refusedByKernel((int) DirectMemory.getLong(cb), errno);
    }
    batched = 0;
  }

  @Override
  void wakeReaper() {
    long cb = iocbs + (long) IOCB_SIZE * wakeSlot;
    prepareWake(cb);
    // If the kernel refuses the wake-up, the reaper's bounded wait notices the close anyway.
    libc.syscall4(SYS_IO_SUBMIT, ctx, 1, iocbPointers + 8L * wakeSlot);
  }

  private void prepareWake(long cb) {
    DirectMemory.putLong(cb, wakeSlot);
    DirectMemory.putLong(cb + 8, 0);
    DirectMemory.putShort(cb + 16, IOCB_CMD_FDSYNC);
    DirectMemory.putShort(cb + 18, (short) 0);
    DirectMemory.putInt(cb + 20, file.fd);
    DirectMemory.putLong(cb + 24, 0);
    DirectMemory.putLong(cb + 32, 0);
    DirectMemory.putLong(cb + 40, 0);
    DirectMemory.putLong(cb + 48, 0);
    DirectMemory.putLong(cb + 56, 0);
  }

  @Override
  void destroyQueue() {
    // io_destroy waits for requests still in the kernel (a wake-up FDSYNC at most).
    libc.syscall2(SYS_IO_DESTROY, ctx);
    DirectMemory.freeMemory(memory);
  }
}
