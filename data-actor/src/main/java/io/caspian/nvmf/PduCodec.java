package io.caspian.nvmf;

import static io.caspian.nvmf.Wire.*;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import java.util.List;

/**
 * Frames (from {@link PduFrameDecoder}) to {@link Pdu} records and records to bytes. Data is
 * never copied here: a decoded record holds a slice of its frame, and an encoded data PDU goes
 * out as header, data and digest buffers that the transport writes with one gather write.
 */
public final class PduCodec extends MessageToMessageCodec<ByteBuf, Pdu> {

  private final WireState state;
  private final Crc32c crc = new Crc32c();

  public PduCodec(WireState state) {
    this.state = state;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf f, List<Object> out)
      throws PduException {
    int r = f.readerIndex();
    int type = f.getUnsignedByte(r);
    int flags = f.getUnsignedByte(r + 1);
    int pdo = f.getUnsignedByte(r + 3);
    int plen = f.readableBytes();
    ByteBuf data = null;
    if (pdo != 0 && type != H2C_TERM && type != C2H_TERM) {
      int len = plen - pdo - ((flags & FLAG_DDGST) != 0 ? DIGEST : 0);
      data = f.retainedSlice(r + pdo, len);
    }
    int h = r + COMMON_HEADER;
    switch (type) {
      case ICREQ -> out.add(new Pdu.IcReq(f.getUnsignedShortLE(h), f.getUnsignedByte(h + 2),
          (f.getByte(h + 3) & 1) != 0, (f.getByte(h + 3) & 2) != 0, f.getIntLE(h + 4)));
      case ICRESP -> out.add(new Pdu.IcResp(f.getUnsignedShortLE(h), f.getUnsignedByte(h + 2),
          (f.getByte(h + 3) & 1) != 0, (f.getByte(h + 3) & 2) != 0, f.getIntLE(h + 4)));
      case H2C_TERM, C2H_TERM ->
          out.add(new Pdu.TermReq(type == C2H_TERM, f.getUnsignedShortLE(h), f.getIntLE(h + 2)));
      case CAPSULE_CMD -> out.add(new Pdu.CapsuleCmd(f.getUnsignedByte(h), f.getUnsignedByte(h + 1),
          f.getUnsignedShortLE(h + 2), f.getIntLE(h + 4), f.getLongLE(h + 24), f.getIntLE(h + 32),
          f.getUnsignedByte(h + 39), f.getIntLE(h + 40), f.getIntLE(h + 44), f.getIntLE(h + 48),
          f.getIntLE(h + 52), f.getIntLE(h + 56), f.getIntLE(h + 60), data));
      case CAPSULE_RESP -> out.add(new Pdu.CapsuleResp(f.getIntLE(h), f.getIntLE(h + 4),
          f.getUnsignedShortLE(h + 8), f.getUnsignedShortLE(h + 10), f.getUnsignedShortLE(h + 12),
          f.getUnsignedShortLE(h + 14) >>> 1));
      case H2C_DATA -> out.add(new Pdu.H2CData(f.getUnsignedShortLE(h), f.getUnsignedShortLE(h + 2),
          f.getIntLE(h + 4), (flags & FLAG_LAST) != 0, checkLength(data, f.getIntLE(h + 8))));
      case C2H_DATA -> out.add(new Pdu.C2HData(f.getUnsignedShortLE(h), f.getIntLE(h + 4),
          (flags & FLAG_LAST) != 0, (flags & FLAG_SUCCESS) != 0, checkLength(data, f.getIntLE(h + 8))));
      case R2T -> out.add(new Pdu.R2T(f.getUnsignedShortLE(h), f.getUnsignedShortLE(h + 2),
          f.getIntLE(h + 4), f.getIntLE(h + 8)));
      default -> throw new IllegalStateException("frame decoder passed PDU type " + type);
    }
  }

  private static ByteBuf checkLength(ByteBuf data, int datal) throws PduException {
    if (data.readableBytes() != datal) {
      int have = data.readableBytes();
      data.release();
      throw new PduException(FES_INVALID_HEADER, 16,
          "data PDU says datal " + datal + " but carries " + have + " bytes");
    }
    return data;
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, Pdu pdu, List<Object> out) {
    if (pdu instanceof Pdu.IcReq p) {
      ByteBuf b = header(ctx, ICREQ, 0, IC_LEN, 0, IC_LEN, false);
      b.writeShortLE(p.pfv()).writeByte(p.hpda()).writeByte(digests(p.hdgst(), p.ddgst()))
          .writeIntLE(p.maxR2t()).writeZero(112);
      out.add(b);
    } else if (pdu instanceof Pdu.IcResp p) {
      ByteBuf b = header(ctx, ICRESP, 0, IC_LEN, 0, IC_LEN, false);
      b.writeShortLE(p.pfv()).writeByte(p.cpda()).writeByte(digests(p.hdgst(), p.ddgst()))
          .writeIntLE(p.maxH2cData()).writeZero(112);
      out.add(b);
    } else if (pdu instanceof Pdu.TermReq p) {
      ByteBuf b = header(ctx, p.fromController() ? C2H_TERM : H2C_TERM, 0, SHORT_HLEN, 0,
          SHORT_HLEN, false);
      b.writeShortLE(p.fes()).writeIntLE(p.fei()).writeZero(10);
      out.add(b);
    } else if (pdu instanceof Pdu.CapsuleCmd p) {
      ByteBuf b = dataHeader(ctx, CAPSULE_CMD, 0, CMD_HLEN, p.data());
      b.writeByte(p.opcode()).writeByte(p.flags()).writeShortLE(p.cid()).writeIntLE(p.nsid())
          .writeZero(16).writeLongLE(p.sglAddress()).writeIntLE(p.sglLength()).writeZero(3)
          .writeByte(p.sglId()).writeIntLE(p.cdw10()).writeIntLE(p.cdw11()).writeIntLE(p.cdw12())
          .writeIntLE(p.cdw13()).writeIntLE(p.cdw14()).writeIntLE(p.cdw15());
      finish(b, CMD_HLEN, p.data(), out);
    } else if (pdu instanceof Pdu.CapsuleResp p) {
      ByteBuf b = header(ctx, CAPSULE_RESP, 0, SHORT_HLEN, 0, headerOnly(SHORT_HLEN), state.hdgst);
      b.writeIntLE(p.dw0()).writeIntLE(p.dw1()).writeShortLE(p.sqhd()).writeShortLE(p.sqid())
          .writeShortLE(p.cid()).writeShortLE(p.status() << 1);
      finish(b, SHORT_HLEN, null, out);
    } else if (pdu instanceof Pdu.H2CData p) {
      ByteBuf b = dataHeader(ctx, H2C_DATA, p.last() ? FLAG_LAST : 0, SHORT_HLEN, p.data());
      b.writeShortLE(p.cccid()).writeShortLE(p.ttag()).writeIntLE(p.offset())
          .writeIntLE(p.data().readableBytes()).writeZero(4);
      finish(b, SHORT_HLEN, p.data(), out);
    } else if (pdu instanceof Pdu.C2HData p) {
      int fl = (p.last() ? FLAG_LAST : 0) | (p.success() ? FLAG_SUCCESS : 0);
      ByteBuf b = dataHeader(ctx, C2H_DATA, fl, SHORT_HLEN, p.data());
      b.writeShortLE(p.cccid()).writeZero(2).writeIntLE(p.offset())
          .writeIntLE(p.data().readableBytes()).writeZero(4);
      finish(b, SHORT_HLEN, p.data(), out);
    } else if (pdu instanceof Pdu.R2T p) {
      ByteBuf b = header(ctx, R2T, 0, SHORT_HLEN, 0, headerOnly(SHORT_HLEN), state.hdgst);
      b.writeShortLE(p.cccid()).writeShortLE(p.ttag()).writeIntLE(p.offset())
          .writeIntLE(p.length()).writeZero(4);
      finish(b, SHORT_HLEN, null, out);
    }
  }

  private int headerOnly(int hlen) {
    return hlen + (state.hdgst ? DIGEST : 0);
  }

  private static int digests(boolean h, boolean d) {
    return (h ? 1 : 0) | (d ? 2 : 0);
  }

  private ByteBuf dataHeader(ChannelHandlerContext ctx, int type, int flags, int hlen, ByteBuf data) {
    int hd = state.hdgst ? DIGEST : 0;
    if (data == null) {
      return header(ctx, type, flags, hlen, 0, hlen + hd, state.hdgst);
    }
    int pdo = hlen + hd;
    int plen = pdo + data.readableBytes() + (state.ddgst ? DIGEST : 0);
    return header(ctx, type, flags | (state.ddgst ? FLAG_DDGST : 0), hlen, pdo, plen, state.hdgst);
  }

  private static ByteBuf header(ChannelHandlerContext ctx, int type, int flags, int hlen, int pdo,
      int plen, boolean hd) {
    ByteBuf b = ctx.alloc().directBuffer(hlen + (hd ? DIGEST : 0));
    return b.writeByte(type).writeByte(flags | (hd ? FLAG_HDGST : 0)).writeByte(hlen)
        .writeByte(pdo).writeIntLE(plen);
  }

  /** Appends the header digest, then hands on the data and its digest. */
  private void finish(ByteBuf header, int hlen, ByteBuf data, List<Object> out) {
    if (state.hdgst) {
      header.writeIntLE(crc.of(header, header.readerIndex(), hlen));
    }
    out.add(header);
    if (data != null) {
      int digest = state.ddgst ? crc.of(data, data.readerIndex(), data.readableBytes()) : 0;
      out.add(data);
      if (state.ddgst) {
        out.add(header.alloc().directBuffer(DIGEST).writeIntLE(digest));
      }
    }
  }
}
