package io.caspian.bdev;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;

/**
 * Access to {@link LibC}, errno, and the Linux x86_64 constants the native devices share.
 *
 * <p>libc is loaded on first use; a machine where that fails cannot open native devices, and
 * {@link #load(String)} turns the failure into a {@link BdevException} naming the device.
 */
final class Posix {

  static final int EINTR = 4;
  static final int EIO = 5;
  static final int EAGAIN = 11;
  static final int ENOMEM = 12;
  static final int EACCES = 13;
  static final int EBUSY = 16;
  static final int ENOENT = 2;
  static final int EEXIST = 17;
  static final int EPERM = 1;
  static final int EISDIR = 21;
  static final int EINVAL = 22;
  static final int ENOSPC = 28;
  static final int ENOSYS = 38;
  static final int EOPNOTSUPP = 95;

  static final int O_RDWR = 2;
  static final int O_CREAT = 0x40;
  static final int O_EXCL = 0x80;
  static final int O_DIRECT = 0x4000;
  static final int O_CLOEXEC = 0x80000;

  static final int FALLOC_FL_KEEP_SIZE = 0x01;
  static final int FALLOC_FL_PUNCH_HOLE = 0x02;
  static final int FALLOC_FL_ZERO_RANGE = 0x10;

  static final long BLKGETSIZE64 = 0x80081272L;
  static final long BLKSSZGET = 0x1268;
  static final long BLKDISCARD = 0x1277;
  static final long BLKZEROOUT = 0x127f;

  static final long SYS_FSTAT = 5;

  private Posix() {}

  /** libc, or the reason it could not be loaded, naming {@code uri}. */
  static LibC load(String uri) throws BdevException {
    try {
      return Holder.LIBC;
    } catch (LinkageError e) {
      throw BdevException.of(BdevException.Kind.CANT_OPEN, uri,
          "native devices need libc through jnr-ffi, which failed to load: " + e, e);
    }
  }

  /** The calling thread's errno after the last failed call through {@link LibC}. */
  static int errno() {
    return Holder.RUNTIME.getLastError();
  }

  /** A jnr-ffi pointer to native memory, made once and passed to {@link LibC} many times. */
  static Pointer pointer(long address) {
    return Pointer.wrap(Holder.RUNTIME, address);
  }

  /** errno as text, e.g. {@code "No such file or directory (errno 2)"}. */
  static String describe(int errno) {
    String text;
    try {
      text = Holder.LIBC.strerror(errno);
    } catch (RuntimeException | LinkageError e) {
      text = null;
    }
    return (text == null ? "error" : text) + " (errno " + errno + ")";
  }

  private static final class Holder {
    static final LibC LIBC = LibraryLoader.create(LibC.class)
        .map("syscall2", "syscall")
        .map("syscall3", "syscall")
        .map("syscall4", "syscall")
        .map("syscall6", "syscall")
        .load("c");
    static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);
  }

  /**
   * The few libc functions the native devices call, bound by jnr-ffi.
   *
   * <p>Parameters are primitives so that jnr-ffi takes a direct path, which allocates nothing per
   * call. Direct paths take at most six native arguments, so {@code syscall} is bound once per
   * arity ({@code syscallN} passes the number plus N-1 arguments): a seven-argument binding costs
   * a heap buffer per call.
   *
   * <p>Six-argument functions take a {@link Pointer} last or first on purpose. jnr-ffi 2.3.4's
   * x86_64 stub compiler, used for all-primitive signatures, passes garbage as the sixth argument;
   * a pointer parameter steers the method to the generic direct path, which passes it right and,
   * for a null or preallocated pointer, allocates nothing either.
   */
  public interface LibC {

    long syscall2(long number, long a1);

    long syscall3(long number, long a1, long a2);

    long syscall4(long number, long a1, long a2, long a3);

    long syscall6(long number, long a1, long a2, long a3, long a4, Pointer a5);

    int open(String path, int flags, int mode);

    int close(int fd);

    int ioctl(int fd, long request, long argp);

    int fallocate(int fd, int mode, long offset, long length);

    int ftruncate(int fd, long length);

    int fdatasync(int fd);

    long pread(int fd, long buf, long count, long offset);

    long pwrite(int fd, long buf, long count, long offset);

    long mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

    int munmap(long addr, long length);

    String strerror(int errnum);
  }
}
