package io.caspian.nvmf;

import io.caspian.bdev.DirectMemory;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/** Copies between Netty buffers and direct {@link ByteBuffer}s without touching their indexes. */
final class Copy {

  private Copy() {}

  /** {@code len} bytes of {@code src} at {@code index} into {@code dst} at {@code dstOffset}. */
  static void toBuffer(ByteBuf src, int index, ByteBuffer dst, int dstOffset, int len) {
    check(index, len, src.capacity());
    check(dstOffset, len, dst.capacity());
    if (src.hasMemoryAddress() && dst.isDirect()) {
      DirectMemory.copy(src.memoryAddress() + index, DirectMemory.address(dst) + dstOffset, len);
    } else {
      // Heap buffers (tests, platforms without Unsafe): a duplicate keeps dst's indexes intact.
      ByteBuffer d = dst.duplicate();
      d.clear().position(dstOffset).limit(dstOffset + len);
      src.getBytes(index, d);
    }
  }

  /** Appends {@code len} bytes of {@code src} from {@code srcOffset} to {@code dst}. */
  static void append(ByteBuffer src, int srcOffset, ByteBuf dst, int len) {
    check(srcOffset, len, src.capacity());
    dst.ensureWritable(len);
    if (dst.hasMemoryAddress() && src.isDirect()) {
      DirectMemory.copy(DirectMemory.address(src) + srcOffset,
          dst.memoryAddress() + dst.writerIndex(), len);
      dst.writerIndex(dst.writerIndex() + len);
    } else {
      ByteBuffer s = src.duplicate();
      s.clear().position(srcOffset).limit(srcOffset + len);
      dst.writeBytes(s);
    }
  }

  /** Raw copies check nothing themselves: a bad range must throw, not corrupt memory. */
  private static void check(int offset, int len, int capacity) {
    if (offset < 0 || len < 0 || offset > capacity - len) {
      throw new IndexOutOfBoundsException(
          "range " + offset + "+" + len + " outside a buffer of " + capacity + " bytes");
    }
  }
}
