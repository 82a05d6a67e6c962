package io.caspian.nbd;

import io.caspian.bdev.DirectMemory;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Encodes the reply to a {@link Request} (simple, or structured once negotiated) and returns the
 * request to its pool. Read data is copied straight from the request's buffer into one pooled
 * output buffer sized for header and data, so a read reply allocates no garbage.
 */
final class ReplyEncoder extends MessageToByteEncoder<Request> {

  private static final int MAX_MESSAGE = 4096;

  private final RequestPool pool;
  private final boolean structured;

  ReplyEncoder(RequestPool pool, boolean structured) {
    super(Request.class);
    this.pool = pool;
    this.structured = structured;
  }

  @Override
  protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Request r, boolean preferDirect) {
    int size = 32;
    if (r.error != 0) {
      size += MAX_MESSAGE;
    } else if (r.type == Nbd.CMD_READ) {
      size += (int) r.length;
    } else if (r.type == Nbd.CMD_BLOCK_STATUS) {
      size += 4 + 8 * r.extentCount;
    }
    return ctx.alloc().ioBuffer(size);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, Request r, ByteBuf out) {
    try {
      if (r.error != 0) {
        encodeError(r, out);
      } else if (r.type == Nbd.CMD_READ) {
        encodeRead(r, out);
      } else if (r.type == Nbd.CMD_BLOCK_STATUS) {
        chunkHeader(out, Nbd.REPLY_TYPE_BLOCK_STATUS, r.cookie, 4 + 8 * r.extentCount);
        out.writeInt(Nbd.BASE_ALLOCATION_ID);
        for (int i = 0; i < 2 * r.extentCount; i++) {
          out.writeInt(r.extents[i]);
        }
      } else {
        simpleHeader(out, 0, r.cookie);
      }
    } finally {
      pool.release(r);
    }
  }

  private void encodeRead(Request r, ByteBuf out) {
    int len = (int) r.length;
    if (!structured) {
      simpleHeader(out, 0, r.cookie);
    } else if (len == 0) {
      chunkHeader(out, Nbd.REPLY_TYPE_NONE, r.cookie, 0);
      return;
    } else {
      chunkHeader(out, Nbd.REPLY_TYPE_OFFSET_DATA, r.cookie, 8 + len);
      out.writeLong(r.offset);
    }
    if (len == 0) {
      return;
    }
    ByteBuffer src = r.buf;
    if (out.hasMemoryAddress()) {
      DirectMemory.copy(DirectMemory.address(src) + r.dataOffset,
          out.memoryAddress() + out.writerIndex(), len);
      out.writerIndex(out.writerIndex() + len);
    } else {
      src.limit(r.dataOffset + len).position(r.dataOffset);
      out.writeBytes(src);
      src.clear();
    }
  }

  private void encodeError(Request r, ByteBuf out) {
    if (!structured) {
      simpleHeader(out, r.error, r.cookie);
      return;
    }
    String text = r.message == null ? "error " + r.error : r.message;
    byte[] msg = text.getBytes(StandardCharsets.UTF_8);
    int n = Math.min(msg.length, MAX_MESSAGE - 64);
    chunkHeader(out, Nbd.REPLY_TYPE_ERROR, r.cookie, 6 + n);
    out.writeInt(r.error);
    out.writeShort(n);
    out.writeBytes(msg, 0, n);
  }

  private static void simpleHeader(ByteBuf out, int error, long cookie) {
    out.writeInt(Nbd.SIMPLE_REPLY_MAGIC);
    out.writeInt(error);
    out.writeLong(cookie);
  }

  private static void chunkHeader(ByteBuf out, int type, long cookie, int length) {
    out.writeInt(Nbd.STRUCTURED_REPLY_MAGIC);
    out.writeShort(Nbd.REPLY_FLAG_DONE);
    out.writeShort(type);
    out.writeLong(cookie);
    out.writeInt(length);
  }
}
