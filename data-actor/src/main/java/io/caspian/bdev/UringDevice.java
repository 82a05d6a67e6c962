package io.caspian.bdev;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A file or block device driven by io_uring ({@code uring:///path}) on an O_DIRECT descriptor,
 * speaking the ring protocol directly: liburing's helpers are inline functions that cannot be
 * bound.
 *
 * <p>Slot {@code i} always fills SQE {@code i} and carries {@code i} as user data. Filling an SQE
 * and publishing it at the SQ tail happen under one lock (the SQ has a single producer side);
 * the thread that published then calls {@code io_uring_enter} to submit, except the reaper, which
 * defers its submissions to its next {@code io_uring_enter(to_submit, min_complete=1,
 * GETEVENTS)}: resubmitting from a completion costs no system call of its own. Every published
 * SQE is matched by exactly one {@code to_submit} unit, so whichever thread's call submits it,
 * none is left behind.
 *
 * <p>Ordering with the kernel: the SQ tail is stored with release semantics after the SQE and
 * array entry; the CQ tail is loaded with acquire semantics before reading CQEs, and the CQ head
 * is stored with release semantics after reading them. The CQ holds twice the SQ entries and at
 * most {@code queue_depth} requests are in flight, so it cannot overflow.
 */
final class UringDevice extends NativeDevice {

  private static final long SYS_IO_URING_SETUP = 425;
  private static final long SYS_IO_URING_ENTER = 426;

  private static final long IORING_OFF_SQ_RING = 0;
  private static final long IORING_OFF_CQ_RING = 0x8000000L;
  private static final long IORING_OFF_SQES = 0x10000000L;
  private static final int IORING_FEAT_SINGLE_MMAP = 1;
  private static final int IORING_FEAT_NODROP = 1 << 1;
  private static final int IORING_FEAT_SUBMIT_STABLE = 1 << 2;
  private static final int IORING_ENTER_GETEVENTS = 1;

  private static final byte IORING_OP_NOP = 0;
  private static final byte IORING_OP_FSYNC = 3;
  private static final byte IORING_OP_FALLOCATE = 17;
  private static final byte IORING_OP_READ = 22;
  private static final byte IORING_OP_WRITE = 23;
  private static final int IORING_FSYNC_DATASYNC = 1;

  private static final int PROT_READ_WRITE = 0x3;
  private static final int MAP_SHARED_POPULATE = 0x01 | 0x8000;
  private static final int PARAMS_SIZE = 120;
  private static final int SQE_SIZE = 64;
  private static final int CQE_SIZE = 16;

  private final Posix.LibC libc;
  private final int ringFd;
  private final int wakeSqe;
  private final long sqRing;
  private final long sqRingSize;
  private final long cqRing;
  private final long cqRingSize;
  private final long sqes;
  private final long sqesSize;
  private final long sqTail;
  private final int sqMask;
  private final long sqArray;
  private final long cqHead;
  private final long cqTail;
  private final int cqMask;
  private final long cqes;
  private final Object sqLock = new Object();
  /** Guarded by {@link #sqLock}: the next SQ tail. */
  private int sqTailNext;
  /** Reaper-only: the next CQ head. */
  private int cqHeadNext;
  /** Reaper-only: SQEs the reaper published and has not yet submitted. */
  private int batched;
  /** SQEs other threads published but could not submit; the reaper submits them. */
  private final AtomicInteger orphaned = new AtomicInteger();

  private UringDevice(NativeFile file, Posix.LibC libc, int queueDepth) throws BdevException {
    super(file, queueDepth, "uring");
    this.libc = libc;
    this.wakeSqe = queueDepth;
    long params = DirectMemory.allocateMemory(PARAMS_SIZE);
    try {
      DirectMemory.fill(params, PARAMS_SIZE, (byte) 0);
      int fd = (int) libc.syscall3(SYS_IO_URING_SETUP, queueDepth + 1, params);
      if (fd < 0) {
        int errno = Posix.errno();
        throw BdevException.of(BdevException.Kind.CANT_OPEN, uri, "io_uring is unavailable: "
            + switch (errno) {
              case Posix.ENOSYS -> "the kernel has no io_uring";
              case Posix.EPERM, Posix.EACCES -> "it is disabled (sysctl kernel.io_uring_disabled)"
                  + " or forbidden by a security policy";
              default -> "io_uring_setup failed";
            } + ": " + Posix.describe(errno));
      }
      this.ringFd = fd;
      int sqEntries = DirectMemory.getInt(params);
      int cqEntries = DirectMemory.getInt(params + 4);
      int features = DirectMemory.getInt(params + 20);
      int required = IORING_FEAT_NODROP | IORING_FEAT_SUBMIT_STABLE;
      if ((features & required) != required) {
        libc.close(fd);
        throw BdevException.of(BdevException.Kind.CANT_OPEN, uri,
            "io_uring of this kernel is too old (needs 5.5 or newer)");
      }
      long sqOff = params + 40;
      long cqOff = params + 80;
      long sqSize = DirectMemory.getInt(sqOff + 24) + 4L * sqEntries;
      long cqSize = DirectMemory.getInt(cqOff + 20) + (long) CQE_SIZE * cqEntries;
      boolean single = (features & IORING_FEAT_SINGLE_MMAP) != 0;
      if (single) {
        sqSize = Math.max(sqSize, cqSize);
        cqSize = sqSize;
      }
      long sqeBytes = (long) SQE_SIZE * sqEntries;
      long sq = libc.mmap(null, sqSize, PROT_READ_WRITE, MAP_SHARED_POPULATE, fd, IORING_OFF_SQ_RING);
      long cq = single || sq == -1 ? sq
          : libc.mmap(null, cqSize, PROT_READ_WRITE, MAP_SHARED_POPULATE, fd, IORING_OFF_CQ_RING);
      long sqeArea = cq == -1 ? -1
          : libc.mmap(null, sqeBytes, PROT_READ_WRITE, MAP_SHARED_POPULATE, fd, IORING_OFF_SQES);
      if (sqeArea == -1) {
        int errno = Posix.errno();
        if (cq != -1 && cq != sq) {
          libc.munmap(cq, cqSize);
        }
        if (sq != -1) {
          libc.munmap(sq, sqSize);
        }
        libc.close(fd);
        throw BdevException.of(BdevException.Kind.CANT_OPEN, uri,
            "cannot map the io_uring rings: " + Posix.describe(errno));
      }
      this.sqRing = sq;
      this.sqRingSize = sqSize;
      this.cqRing = cq;
      this.cqRingSize = single ? 0 : cqSize;
      this.sqes = sqeArea;
      this.sqesSize = sqeBytes;
      this.sqTail = sq + DirectMemory.getInt(sqOff + 4);
      this.sqMask = DirectMemory.getInt(sq + DirectMemory.getInt(sqOff + 8));
      this.sqArray = sq + DirectMemory.getInt(sqOff + 24);
      this.cqHead = cq + DirectMemory.getInt(cqOff);
      this.cqTail = cq + DirectMemory.getInt(cqOff + 4);
      this.cqMask = DirectMemory.getInt(cq + DirectMemory.getInt(cqOff + 8));
      this.cqes = cq + DirectMemory.getInt(cqOff + 20);
      this.sqTailNext = DirectMemory.getIntVolatile(sqTail);
      this.cqHeadNext = DirectMemory.getIntVolatile(cqHead);
    } finally {
      DirectMemory.freeMemory(params);
    }
    start();
  }

  /**
   * Opens {@code file://}: io_uring where the kernel allows it (it keeps up with fio's io_uring
   * engine, where the AIO path costs a syscall per reap), Linux AIO where it does not.
   */
  static BlockDevice openFile(DeviceUri u) throws BdevException {
    return Probe.AVAILABLE ? open(u) : AioDevice.open(u);
  }

  /** Whether this kernel lets the process set up a ring, asked once. */
  private static final class Probe {
    static final boolean AVAILABLE = probe();

    private static boolean probe() {
      try {
        Posix.LibC libc = Posix.load("uring://probe");
        long params = DirectMemory.allocateMemory(PARAMS_SIZE);
        try {
          DirectMemory.fill(params, PARAMS_SIZE, (byte) 0);
          int fd = (int) libc.syscall3(SYS_IO_URING_SETUP, 1, params);
          if (fd < 0) {
            return false;
          }
          libc.close(fd);
          return true;
        } finally {
          DirectMemory.freeMemory(params);
        }
      } catch (BdevException | LinkageError e) {
        return false;
      }
    }
  }

  static BlockDevice open(DeviceUri u) throws BdevException {
    int queueDepth = queueDepth(u);
    NativeFile file = NativeFile.open(u);
    try {
      return new UringDevice(file, Posix.load(u.text()), queueDepth);
    } catch (BdevException | RuntimeException e) {
      file.close();
      throw e;
    }
  }

  @Override
  void submitRw(int slot, boolean write, long address, int length, long offset) {
    publish(slot, write ? IORING_OP_WRITE : IORING_OP_READ, offset, address, length, 0);
    submitPublished();
  }

  @Override
  void submitFlush(int slot) {
    publish(slot, IORING_OP_FSYNC, 0, 0, 0, IORING_FSYNC_DATASYNC);
    submitPublished();
  }

  @Override
  void submitUnmap(int slot, long offset, long length) {
    if (file.blockDevice) {
      super.submitUnmap(slot, offset, length);
      return;
    }
    // IORING_OP_FALLOCATE carries the length in addr and the mode in len.
    publish(slot, IORING_OP_FALLOCATE, offset, length,
        Posix.FALLOC_FL_PUNCH_HOLE | Posix.FALLOC_FL_KEEP_SIZE, 0);
    submitPublished();
  }

  @Override
  void submitWriteZeroes(int slot, long offset, long length) {
    if (file.blockDevice) {
      super.submitWriteZeroes(slot, offset, length);
      return;
    }
    publish(slot, IORING_OP_FALLOCATE, offset, length,
        Posix.FALLOC_FL_ZERO_RANGE | Posix.FALLOC_FL_KEEP_SIZE, 0);
    submitPublished();
  }

  /** Fills SQE {@code index} and makes it visible to the kernel at the SQ tail. */
  private void publish(int index, byte opcode, long offset, long addr, int len, int opFlags) {
    long sqe = sqes + (long) SQE_SIZE * index;
    synchronized (sqLock) {
      DirectMemory.putByte(sqe, opcode);
      DirectMemory.putByte(sqe + 1, (byte) 0);
      DirectMemory.putShort(sqe + 2, (short) 0);
      DirectMemory.putInt(sqe + 4, file.fd);
      DirectMemory.putLong(sqe + 8, offset);
      DirectMemory.putLong(sqe + 16, addr);
      DirectMemory.putInt(sqe + 24, len);
      DirectMemory.putInt(sqe + 28, opFlags);
      DirectMemory.putLong(sqe + 32, index);
      DirectMemory.putLong(sqe + 40, 0);
      DirectMemory.putLong(sqe + 48, 0);
      DirectMemory.putLong(sqe + 56, 0);
      int tail = sqTailNext;
      DirectMemory.putInt(sqArray + 4L * (tail & sqMask), index);
      sqTailNext = tail + 1;
      DirectMemory.putIntVolatile(sqTail, tail + 1);
    }
  }

  /** Submits one published SQE: later on the reaper, now on any other thread. */
  private void submitPublished() {
    if (onReaper()) {
      batched++;
      return;
    }
    if (!enter(1, 0, 0)) {
      // The SQE stays in the ring; the reaper submits it after its current wait.
      orphaned.incrementAndGet();
    }
  }

  /**
   * io_uring_enter with argp = NULL and flags without EXT_ARG, so the sixth system-call argument
   * (the signal-set size, which the six-argument binding cannot pass) is ignored by the kernel.
   * Returns whether all {@code toSubmit} SQEs were submitted.
   */
  private boolean enter(int toSubmit, int minComplete, int flags) {
    int left = toSubmit;
    for (int attempt = 0; attempt < 1000; attempt++) {
      long n = libc.syscall6(SYS_IO_URING_ENTER, ringFd, left, minComplete, flags, null);
      if (n >= 0) {
        left -= (int) n;
        if (left <= 0) {
          return true;
        }
        continue;
      }
      int errno = Posix.errno();
      if (errno != Posix.EINTR && errno != Posix.EAGAIN && errno != Posix.EBUSY) {
        return false;
      }
      Thread.yield();
    }
    return false;
  }

  @Override
  void reapRound() {
    int toSubmit = batched;
    if (orphaned.get() != 0) {
      toSubmit += orphaned.getAndSet(0);
    }
    long n = libc.syscall6(SYS_IO_URING_ENTER, ringFd, toSubmit, 1, IORING_ENTER_GETEVENTS, null);
    if (n >= 0) {
      batched = Math.max(0, toSubmit - (int) n);
    } else {
      batched = toSubmit;
      int errno = Posix.errno();
      if (errno != Posix.EINTR && errno != Posix.EAGAIN && errno != Posix.EBUSY) {
        throw new IllegalStateException(uri + ": io_uring_enter failed: " + Posix.describe(errno));
      }
    }
    int head = cqHeadNext;
    int tail = DirectMemory.getIntVolatile(cqTail);
    while (head != tail) {
      long cqe = cqes + (long) CQE_SIZE * (head & cqMask);
      int slot = (int) DirectMemory.getLong(cqe);
      int res = DirectMemory.getInt(cqe + 8);
      head++;
      DirectMemory.putIntVolatile(cqHead, head);
      if (slot != wakeSqe) {
        completeCqe(slot, res);
      }
    }
    cqHeadNext = head;
  }

  private void completeCqe(int slot, int res) {
    if (res == -Posix.EOPNOTSUPP) {
      IoType type = slots.type(slot);
      if (type == IoType.UNMAP) {
        complete(slot, 0);
        return;
      }
      if (type == IoType.WRITE_ZEROES) {
        long offset = slots.offset(slot);
        long length = slots.length(slot);
        onAdmin(slot, () -> file.writeZeroesByWrites(offset, length));
        return;
      }
    }
    complete(slot, res);
  }

  @Override
  void wakeReaper() {
    publish(wakeSqe, IORING_OP_NOP, 0, 0, 0, 0);
    if (!enter(1, 0, 0)) {
      orphaned.incrementAndGet();
    }
  }

  @Override
  void destroyQueue() {
    libc.munmap(sqes, sqesSize);
    if (cqRingSize != 0) {
      libc.munmap(cqRing, cqRingSize);
    }
    libc.munmap(sqRing, sqRingSize);
    libc.close(ringFd);
  }
}
