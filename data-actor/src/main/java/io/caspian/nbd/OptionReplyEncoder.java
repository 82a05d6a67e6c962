package io.caspian.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** Encodes {@link OptionReply} messages of the handshake phase. */
final class OptionReplyEncoder extends MessageToByteEncoder<OptionReply> {

  OptionReplyEncoder() {
    super(OptionReply.class);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, OptionReply msg, ByteBuf out) {
    // Java 17 has no pattern switch; the interface is sealed, so these three cases are all.
    if (msg instanceof OptionReply.Greeting g) {
      out.writeLong(Nbd.NBDMAGIC);
      out.writeLong(Nbd.IHAVEOPT);
      out.writeShort(g.handshakeFlags());
    } else if (msg instanceof OptionReply.Reply r) {
      out.writeLong(Nbd.OPTION_REPLY_MAGIC);
      out.writeInt(r.option());
      out.writeInt(r.type());
      out.writeInt(r.data().length);
      out.writeBytes(r.data());
    } else if (msg instanceof OptionReply.ExportNameReply e) {
      out.writeLong(e.size());
      out.writeShort(e.transmissionFlags());
      if (e.zeroes()) {
        out.writeZero(124);
      }
    }
  }
}
