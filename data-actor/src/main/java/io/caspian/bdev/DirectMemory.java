package io.caspian.bdev;

import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import sun.misc.Unsafe;

/**
 * Raw access to off-heap memory: buffer addresses, aligned buffers, copies.
 *
 * <p>Native devices hand buffer addresses to the kernel and the malloc device copies between
 * addresses; both must do so per I/O without allocating, which rules out {@code slice()} and
 * JNI wrappers. {@code sun.misc.Unsafe} reads the address of a direct buffer in one load.
 */
public final class DirectMemory {

  private static final Unsafe UNSAFE;
  private static final long ADDRESS_OFFSET;

  static {
    try {
      Field f = Unsafe.class.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      UNSAFE = (Unsafe) f.get(null);
      ADDRESS_OFFSET = UNSAFE.objectFieldOffset(Buffer.class.getDeclaredField("address"));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private DirectMemory() {}

  /** Address of the first byte of a direct buffer (ignoring its position). */
  public static long address(ByteBuffer buf) {
    return UNSAFE.getLong(buf, ADDRESS_OFFSET);
  }

  /**
   * A direct buffer of {@code size} bytes whose first byte is aligned to {@code alignment}
   * (a power of two), big-endian like any new buffer, with
   * position 0 and limit {@code size}.
   */
  public static ByteBuffer allocateAligned(int size, int alignment) {
    if (Integer.bitCount(alignment) != 1) {
      throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
    }
    ByteBuffer raw = ByteBuffer.allocateDirect(size + alignment);
    // alignedSlice would also round the end down, losing sizes that are not multiples of alignment
    int skip = (int) ((alignment - (address(raw) & (alignment - 1))) & (alignment - 1));
    return raw.position(skip).limit(skip + size).slice().order(ByteOrder.BIG_ENDIAN);
  }

  /** A 4 KiB-aligned direct buffer, good for every device including O_DIRECT ones. */
  public static ByteBuffer allocate(int size) {
    return allocateAligned(size, 4096);
  }

  public static long allocateMemory(long bytes) {
    return UNSAFE.allocateMemory(bytes);
  }

  public static void freeMemory(long address) {
    UNSAFE.freeMemory(address);
  }

  public static void copy(long src, long dst, long bytes) {
    UNSAFE.copyMemory(src, dst, bytes);
  }

  public static void fill(long address, long bytes, byte value) {
    UNSAFE.setMemory(address, bytes, value);
  }

  public static int getInt(long address) {
    return UNSAFE.getInt(address);
  }

  public static long getLong(long address) {
    return UNSAFE.getLong(address);
  }

  public static void putInt(long address, int value) {
    UNSAFE.putInt(address, value);
  }

  public static void putLong(long address, long value) {
    UNSAFE.putLong(address, value);
  }

  public static void putByte(long address, byte value) {
    UNSAFE.putByte(address, value);
  }

  public static void putShort(long address, short value) {
    UNSAFE.putShort(address, value);
  }

  public static short getShort(long address) {
    return UNSAFE.getShort(address);
  }

  public static int getIntVolatile(long address) {
    return UNSAFE.getIntVolatile(null, address);
  }

  public static void putIntVolatile(long address, int value) {
    UNSAFE.putIntVolatile(null, address, value);
  }

  /** Store-store plus load-store fence, for rings shared with the kernel. */
  public static void releaseFence() {
    UNSAFE.storeFence();
  }

  public static void acquireFence() {
    UNSAFE.loadFence();
  }
}
