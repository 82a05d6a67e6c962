package io.caspian.bdev;

import static io.caspian.bdev.BdevException.Kind.CANT_OPEN;

import java.nio.ByteBuffer;

/**
 * A regular file or block device opened for O_DIRECT I/O, with its geometry, and the rare
 * synchronous operations the native devices run off their I/O path (discard, zeroing, fdatasync).
 *
 * <p>URI parameters: {@code blk_size=512|4096} (default: 512 for files, the logical sector size
 * for block devices), {@code size_mb=N} creates a new regular file (sparse) of N MiB. An
 * existing file is never resized: one of another size than {@code size_mb} is refused, since
 * growing or truncating a file that someone named by mistake changes (or loses) what it holds.
 */
final class NativeFile {

  private static final int S_IFMT = 0170000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFBLK = 0060000;
  private static final int STAT_SIZE = 144;
  private static final int STAT_MODE_OFFSET = 24;
  private static final int STAT_SIZE_OFFSET = 48;
  private static final int ZERO_CHUNK = 1 << 20;

  final String uri;
  final String path;
  final int fd;
  final boolean blockDevice;
  final long size;
  final int blockSize;
  /** Whether this open created the file (so a caller that cannot use it may remove it). */
  final boolean created;
  private final Posix.LibC libc;
  /** Two u64 (offset, length) for BLKDISCARD/BLKZEROOUT; only the admin thread uses it. */
  private final long rangeArg;

  private NativeFile(String uri, String path, Posix.LibC libc, int fd, boolean blockDevice, long size,
      int blockSize, boolean created) {
    this.uri = uri;
    this.created = created;
    this.path = path;
    this.libc = libc;
    this.fd = fd;
    this.blockDevice = blockDevice;
    this.size = size;
    this.blockSize = blockSize;
    this.rangeArg = DirectMemory.allocateMemory(16);
  }

  static NativeFile open(DeviceUri u) throws BdevException {
    String uri = u.text();
    String path = u.path();
    if (path.isEmpty() || !path.startsWith("/")) {
      throw BdevException.of(CANT_OPEN, uri, "needs an absolute path, e.g. "
          + u.scheme() + ":///var/lib/caspian/disk0.img or /dev/sdb");
    }
    Posix.LibC libc = Posix.load(uri);
    long blkParam = u.longParam("blk_size", 0);
    if (u.params().containsKey("blk_size") && blkParam != 512 && blkParam != 4096) {
      throw BdevException.of(CANT_OPEN, uri, "blk_size must be 512 or 4096, not " + blkParam);
    }
    long sizeMb = u.longParam("size_mb", 0);
    int flags = Posix.O_RDWR | Posix.O_DIRECT | Posix.O_CLOEXEC;
    boolean created = false;
    int fd = -1;
    if (sizeMb > 0) {
      // O_EXCL tells a file made now from one that was there: only the former may be sized.
      fd = libc.open(path, flags | Posix.O_CREAT | Posix.O_EXCL, 0644);
      created = fd >= 0;
      if (fd < 0 && Posix.errno() != Posix.EEXIST) {
        throw openError(uri, path, Posix.errno(), true);
      }
    }
    if (fd < 0) {
      fd = libc.open(path, flags, 0);
      if (fd < 0) {
        throw openError(uri, path, Posix.errno(), false);
      }
    }
    try {
      return describe(u, libc, fd, (int) blkParam, sizeMb, created);
    } catch (BdevException | RuntimeException e) {
      libc.close(fd);
      if (created) {
        removeQuietly(path);
      }
      throw e;
    }
  }

  /** Removes a file this process created and could not use. */
  static void removeQuietly(String path) {
    try {
      java.nio.file.Files.deleteIfExists(java.nio.file.Path.of(path));
    } catch (java.io.IOException e) {
      System.getLogger(NativeFile.class.getName()).log(System.Logger.Level.WARNING,
          "cannot remove " + path + ", created by a refused open: " + e.getMessage());
    }
  }

  private static BdevException openError(String uri, String path, int errno, boolean create) {
    String why = switch (errno) {
      case Posix.ENOENT -> create ? "its directory does not exist"
          : "no such file or device (add ?size_mb=N to create a file)";
      case Posix.EACCES, Posix.EPERM -> "permission denied";
      case Posix.EINVAL -> "the file system does not support O_DIRECT";
      case Posix.EISDIR -> "it is a directory, not a regular file or block device";
      default -> "open failed";
    };
    return BdevException.of(CANT_OPEN, uri,
        "cannot open " + path + ": " + why + ": " + Posix.describe(errno));
  }

  private static NativeFile describe(DeviceUri u, Posix.LibC libc, int fd, int blkParam, long sizeMb,
      boolean created) throws BdevException {
    String uri = u.text();
    String path = u.path();
    long st = DirectMemory.allocateMemory(STAT_SIZE);
    int mode;
    long fileSize;
    try {
      if (libc.syscall3(Posix.SYS_FSTAT, fd, st) != 0) {
        throw BdevException.of(CANT_OPEN, uri, "fstat " + path + ": " + Posix.describe(Posix.errno()));
      }
      mode = DirectMemory.getInt(st + STAT_MODE_OFFSET) & S_IFMT;
      fileSize = DirectMemory.getLong(st + STAT_SIZE_OFFSET);
    } finally {
      DirectMemory.freeMemory(st);
    }
    NativeFile f;
    if (mode == S_IFBLK) {
      if (sizeMb > 0) {
        throw BdevException.of(CANT_OPEN, uri, "size_mb applies to regular files, and "
            + path + " is a block device");
      }
      f = blockDevice(uri, path, libc, fd, blkParam);
    } else if (mode == S_IFREG) {
      f = regularFile(uri, path, libc, fd, blkParam, sizeMb, fileSize, created);
    } else {
      throw BdevException.of(CANT_OPEN, uri, path + " is neither a regular file nor a block device");
    }
    f.probe();
    return f;
  }

  private static NativeFile blockDevice(String uri, String path, Posix.LibC libc, int fd, int blkParam)
      throws BdevException {
    long arg = DirectMemory.allocateMemory(8);
    try {
      DirectMemory.putLong(arg, 0);
      if (libc.ioctl(fd, Posix.BLKGETSIZE64, arg) != 0) {
        throw BdevException.of(CANT_OPEN, uri, "BLKGETSIZE64 on " + path + ": "
            + Posix.describe(Posix.errno()));
      }
      long size = DirectMemory.getLong(arg);
      DirectMemory.putLong(arg, 0);
      if (libc.ioctl(fd, Posix.BLKSSZGET, arg) != 0) {
        throw BdevException.of(CANT_OPEN, uri, "BLKSSZGET on " + path + ": "
            + Posix.describe(Posix.errno()));
      }
      int logical = DirectMemory.getInt(arg);
      if (logical != 512 && logical != 4096) {
        throw BdevException.of(CANT_OPEN, uri, path + " has a logical block size of " + logical
            + " bytes; only 512 and 4096 are supported");
      }
      int bs = blkParam == 0 ? logical : blkParam;
      if (bs < logical) {
        throw BdevException.of(CANT_OPEN, uri, "blk_size=" + bs + " is smaller than the "
            + logical + "-byte logical block size of " + path);
      }
      return checked(uri, path, libc, fd, true, size, bs, false);
    } finally {
      DirectMemory.freeMemory(arg);
    }
  }

  private static NativeFile regularFile(String uri, String path, Posix.LibC libc, int fd, int blkParam,
      long sizeMb, long fileSize, boolean created) throws BdevException {
    long size = fileSize;
    if (sizeMb > 0 && !created && size != (sizeMb << 20)) {
      throw BdevException.of(CANT_OPEN, uri, path + " exists with " + size + " bytes, not the "
          + sizeMb + " MiB of size_mb; an existing file is never resized: name it without size_mb"
          + " to use it as it is");
    }
    if (created) {
      if (libc.ftruncate(fd, sizeMb << 20) != 0) {
        throw BdevException.of(CANT_OPEN, uri, "cannot extend " + path + " to " + sizeMb
            + " MiB: " + Posix.describe(Posix.errno()));
      }
      size = sizeMb << 20;
    }
    if (size == 0) {
      throw BdevException.of(CANT_OPEN, uri, path + " is empty (add ?size_mb=N to size it)");
    }
    return checked(uri, path, libc, fd, false, size, blkParam == 0 ? 512 : blkParam, created);
  }

  private static NativeFile checked(String uri, String path, Posix.LibC libc, int fd, boolean blockDevice,
      long size, int bs, boolean created) throws BdevException {
    if (size % bs != 0) {
      throw BdevException.of(CANT_OPEN, uri, "size of " + path + " (" + size
          + " bytes) is not a multiple of the " + bs + "-byte block size");
    }
    return new NativeFile(uri, path, libc, fd, blockDevice, size, bs, created);
  }

  /**
   * Reads the first block: some file systems accept O_DIRECT at open but refuse transfers of the
   * block size, which is better reported now than as an error on every I/O.
   */
  private void probe() throws BdevException {
    ByteBuffer buf = DirectMemory.allocate(4096);
    long n = libc.pread(fd, DirectMemory.address(buf), blockSize, 0);
    if (n != blockSize) {
      int errno = n < 0 ? Posix.errno() : Posix.EIO;
      DirectMemory.freeMemory(rangeArg);
      throw BdevException.of(CANT_OPEN, uri, "O_DIRECT read of " + blockSize + " bytes from "
          + path + " failed: " + Posix.describe(errno)
          + (errno == Posix.EINVAL && blockSize == 512 ? "; try ?blk_size=4096" : ""));
    }
  }

  /** Discards a range; returns 0 or an errno. A device or file system that cannot discard is fine. */
  int discard(long offset, long length) {
    int errno = blockDevice ? rangeIoctl(Posix.BLKDISCARD, offset, length)
        : fallocate(Posix.FALLOC_FL_PUNCH_HOLE | Posix.FALLOC_FL_KEEP_SIZE, offset, length);
    return errno == Posix.EOPNOTSUPP ? 0 : errno;
  }

  /** Makes a range read as zeroes; returns 0 or an errno. */
  int writeZeroes(long offset, long length) {
    if (blockDevice) {
      return rangeIoctl(Posix.BLKZEROOUT, offset, length);
    }
    int errno = fallocate(Posix.FALLOC_FL_ZERO_RANGE | Posix.FALLOC_FL_KEEP_SIZE, offset, length);
    return errno == Posix.EOPNOTSUPP ? writeZeroesByWrites(offset, length) : errno;
  }

  /** Writes zeroes from a shared buffer, for files whose file system cannot zero a range. */
  int writeZeroesByWrites(long offset, long length) {
    long zeroes = DirectMemory.address(Zeroes.BUFFER);
    long done = 0;
    while (done < length) {
      long n = libc.pwrite(fd, zeroes, Math.min(ZERO_CHUNK, length - done), offset + done);
      if (n < 0) {
        int errno = Posix.errno();
        if (errno != Posix.EINTR) {
          return errno;
        }
      } else if (n == 0) {
        return Posix.EIO;
      } else {
        done += n;
      }
    }
    return 0;
  }

  /** Returns 0 or an errno. */
  int fdatasync() {
    return libc.fdatasync(fd) == 0 ? 0 : Posix.errno();
  }

  private int fallocate(int mode, long offset, long length) {
    return libc.fallocate(fd, mode, offset, length) == 0 ? 0 : Posix.errno();
  }

  private int rangeIoctl(long request, long offset, long length) {
    DirectMemory.putLong(rangeArg, offset);
    DirectMemory.putLong(rangeArg + 8, length);
    return libc.ioctl(fd, request, rangeArg) == 0 ? 0 : Posix.errno();
  }

  /** Closes the descriptor; only once no I/O can still use it. */
  void close() {
    libc.close(fd);
    DirectMemory.freeMemory(rangeArg);
  }

  /** A zero-filled, 4 KiB-aligned buffer shared by every device, allocated on first need. */
  private static final class Zeroes {
    static final ByteBuffer BUFFER = DirectMemory.allocate(ZERO_CHUNK);
  }
}
