package io.caspian.nvmf;

import io.netty.buffer.ByteBuf;
import java.util.zip.CRC32C;

/** CRC32C digests over {@link ByteBuf} ranges, as NVMe/TCP header and data digests use them. */
final class Crc32c {

  private final CRC32C crc = new CRC32C();

  int of(ByteBuf buf, int index, int length) {
    crc.reset();
    if (buf.hasArray()) {
      crc.update(buf.array(), buf.arrayOffset() + index, length);
    } else if (buf.nioBufferCount() == 1) {
      // The buffer's own scratch view (pooled buffers recycle it): no new object per digest.
      crc.update(buf.internalNioBuffer(index, length));
    } else {
      for (java.nio.ByteBuffer b : buf.nioBuffers(index, length)) {
        crc.update(b);
      }
    }
    return (int) crc.getValue();
  }
}
