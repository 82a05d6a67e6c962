package io.caspian.nbd;

import io.caspian.bdev.DirectMemory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Splits the transmission byte stream into {@link Request}s taken from the connection's pool.
 *
 * <p>A WRITE payload is copied into the request's aligned buffer as it arrives, so the cumulation
 * never holds more than one socket read. A payload larger than {@link Nbd#MAX_PAYLOAD} is skipped
 * and the request is emitted with EINVAL already set: the stream stays in sync and the connection
 * usable. A header without the request magic means framing is lost; only then is the connection
 * closed. After NBD_CMD_DISC the client may send nothing more, so the rest is discarded.
 */
final class RequestDecoder extends ByteToMessageDecoder {

  private static final int HEADER = 28;

  private enum State { HEADER, PAYLOAD, SKIP, DONE }

  private final RequestPool pool;
  private State state = State.HEADER;
  private Request current;
  private long remaining;
  private int filled;
  private boolean stalled;
  private ChannelHandlerContext ctx;

  RequestDecoder(RequestPool pool) {
    this.pool = pool;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    pool.onAvailable(this::scheduleResume);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    switch (state) {
      case HEADER -> header(ctx, in, out);
      case PAYLOAD -> payload(in, out);
      case SKIP -> skip(in, out);
      case DONE -> in.skipBytes(in.readableBytes());
    }
  }

  private void header(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (in.readableBytes() < HEADER) {
      return;
    }
    int start = in.readerIndex();
    int magic = in.getInt(start);
    if (magic != Nbd.REQUEST_MAGIC) {
      state = State.DONE;
      in.skipBytes(in.readableBytes());
      ctx.fireExceptionCaught(new NbdProtocolException(String.format(
          "request header without NBD_REQUEST_MAGIC (got 0x%08x)", magic)));
      return;
    }
    Request r = pool.acquire();
    if (r == null) {
      // Every request is in flight: leave the header where it is and stop reading until one frees.
      stalled = true;
      ctx.channel().config().setAutoRead(false);
      return;
    }
    int flags = in.getUnsignedShort(start + 4);
    int type = in.getUnsignedShort(start + 6);
    long cookie = in.getLong(start + 8);
    long offset = in.getLong(start + 16);
    long length = in.getUnsignedInt(start + 24);
    in.skipBytes(HEADER);
    r.reset(flags, type, cookie, offset, length);
    if (type == Nbd.CMD_DISC) {
      state = State.DONE;
      out.add(r);
    } else if (type != Nbd.CMD_WRITE || length == 0) {
      out.add(r);
    } else if (length > Nbd.MAX_PAYLOAD) {
      r.fail(Nbd.EINVAL, "WRITE of " + length + " bytes exceeds the maximum payload of "
          + Nbd.MAX_PAYLOAD + " bytes");
      current = r;
      remaining = length;
      state = State.SKIP;
    } else {
      r.dataBuffer((int) length);
      current = r;
      remaining = length;
      filled = 0;
      state = State.PAYLOAD;
    }
  }

  private void payload(ByteBuf in, List<Object> out) {
    int n = (int) Math.min(remaining, in.readableBytes());
    Request r = current;
    ByteBuffer dst = r.buf;
    if (in.hasMemoryAddress()) {
      DirectMemory.copy(in.memoryAddress() + in.readerIndex(), DirectMemory.address(dst) + filled, n);
    } else {
      dst.limit(filled + n).position(filled);
      in.getBytes(in.readerIndex(), dst);
      dst.clear();
    }
    in.skipBytes(n);
    filled += n;
    remaining -= n;
    if (remaining == 0) {
      current = null;
      state = State.HEADER;
      out.add(r);
    }
  }

  private void skip(ByteBuf in, List<Object> out) {
    int n = (int) Math.min(remaining, in.readableBytes());
    in.skipBytes(n);
    remaining -= n;
    if (remaining == 0) {
      Request r = current;
      current = null;
      state = State.HEADER;
      out.add(r);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
    if (stalled) {
      // The base class would ask for more input when nothing was decoded; while stalled that is
      // exactly what must not happen.
      discardSomeReadBytes();
      ctx.fireChannelReadComplete();
      return;
    }
    super.channelReadComplete(ctx);
  }

  /** Runs when a request frees up; called from inside a reply write, so it must not decode. */
  private void scheduleResume() {
    ctx.executor().execute(this::resume);
  }

  private void resume() {
    if (!stalled || ctx.isRemoved()) {
      return;
    }
    stalled = false;
    ctx.channel().config().setAutoRead(true);
    // An empty read makes the base class decode what it has buffered.
    channelReadSafely(Unpooled.EMPTY_BUFFER);
    ctx.pipeline().fireChannelReadComplete();
  }

  private void channelReadSafely(ByteBuf empty) {
    try {
      channelRead(ctx, empty);
    } catch (Exception e) {
      ctx.fireExceptionCaught(e);
    }
  }
}
