package io.caspian.nvmf;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Turns the codec's reusable views into {@link Pdu} records (data copied into a buffer the
 * record owns), so tests can collect decoded PDUs after the pipeline has moved on.
 */
public final class Records extends ChannelInboundHandlerAdapter {

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ctx.fireChannelRead(record(msg));
  }

  private static Object record(Object msg) {
    if (msg instanceof CommandPdu c) {
      return new Pdu.CapsuleCmd(c.opcode(), c.flags(), c.cid(), c.nsid(), c.sglAddress(),
          c.sglLength(), c.sglId(), c.cdw10(), c.cdw11(), c.cdw12(), c.cdw13(), c.cdw14(),
          c.cdw15(), data(c));
    }
    if (msg instanceof ResponsePdu r) {
      return new Pdu.CapsuleResp(r.dw0(), r.dw1(), r.sqhd(), r.sqid(), r.cid(), r.status());
    }
    if (msg instanceof DataPdu d) {
      return d.fromController()
          ? new Pdu.C2HData(d.cccid(), d.offset(), d.last(), d.success(), data(d))
          : new Pdu.H2CData(d.cccid(), d.ttag(), d.offset(), d.last(), data(d));
    }
    if (msg instanceof R2tPdu r) {
      return new Pdu.R2T(r.cccid(), r.ttag(), r.offset(), r.length());
    }
    return msg;
  }

  private static ByteBuf data(PduWithData p) {
    if (!p.hasData()) {
      return null;
    }
    byte[] b = new byte[p.dataLength()];
    p.copyDataTo(b, 0);
    return Unpooled.wrappedBuffer(b);
  }
}
