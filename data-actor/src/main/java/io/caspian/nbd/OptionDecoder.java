package io.caspian.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits the handshake byte stream into {@link NbdOption}s: first the client flags, then option
 * frames. A frame without the IHAVEOPT magic means the peer does not speak NBD (or lost framing),
 * so the connection is closed. Option data longer than {@link Nbd#MAX_OPTION_LENGTH} is skipped as
 * it arrives, never buffered, and reported as {@link NbdOption.Oversized}.
 */
final class OptionDecoder extends ByteToMessageDecoder {

  private boolean flagsRead;
  private int skipOption;
  private long skipTotal;
  private long skipRemaining;
  private boolean broken;

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (broken) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (!flagsRead) {
      if (in.readableBytes() < 4) {
        return;
      }
      flagsRead = true;
      out.add(new NbdOption.ClientFlags(in.readInt()));
      return;
    }
    if (skipRemaining > 0) {
      int n = (int) Math.min(skipRemaining, in.readableBytes());
      in.skipBytes(n);
      skipRemaining -= n;
      if (skipRemaining == 0) {
        out.add(new NbdOption.Oversized(skipOption, skipTotal));
      }
      return;
    }
    if (in.readableBytes() < 16) {
      return;
    }
    int start = in.readerIndex();
    long magic = in.getLong(start);
    if (magic != Nbd.IHAVEOPT) {
      broken = true;
      in.skipBytes(in.readableBytes());
      ctx.fireExceptionCaught(new NbdProtocolException(String.format(
          "option frame without IHAVEOPT magic (got 0x%016x)", magic)));
      return;
    }
    int code = in.getInt(start + 8);
    long length = in.getUnsignedInt(start + 12);
    if (length > Nbd.MAX_OPTION_LENGTH) {
      in.skipBytes(16);
      skipOption = code;
      skipTotal = length;
      skipRemaining = length;
      return;
    }
    if (in.readableBytes() < 16 + length) {
      return;
    }
    in.skipBytes(16);
    byte[] data = new byte[(int) length];
    in.readBytes(data);
    out.add(new NbdOption.Option(code, data));
  }
}
