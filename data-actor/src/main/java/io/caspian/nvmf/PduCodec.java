package io.caspian.nvmf;

import static io.caspian.nvmf.Wire.*;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Frames (from {@link PduFrameDecoder}) to PDUs and PDUs to bytes.
 *
 * <p>Inbound, the I/O-path PDUs (command and response capsules, data PDUs, R2T) are decoded
 * into one reusable {@link CommandPdu}, {@link ResponsePdu}, {@link DataPdu} or {@link R2tPdu}
 * per connection, so that steady-state I/O allocates nothing; the handler must copy out what it
 * keeps before its {@code channelRead} returns. The rare PDUs (ICReq/ICResp, TermReq) arrive as
 * {@link Pdu} records.
 *
 * <p>Outbound, it takes the same reusable types and the {@link Pdu} records (which it releases);
 * each PDU goes out as one pooled buffer holding header, data and digests, so data is copied
 * once, from the caller's buffer straight into the outgoing one. Reusable PDUs must be written
 * on the channel's event loop, where the write runs synchronously.
 */
public final class PduCodec extends ChannelDuplexHandler {

  private final WireState state;
  private final Crc32c crc = new Crc32c();
  private final CommandPdu cmdIn = new CommandPdu();
  private final ResponsePdu respIn = new ResponsePdu();
  private final DataPdu dataIn = new DataPdu();
  private final R2tPdu r2tIn = new R2tPdu();
  private final CommandPdu cmdOut = new CommandPdu();
  private final ResponsePdu respOut = new ResponsePdu();
  private final DataPdu dataOut = new DataPdu();
  private final R2tPdu r2tOut = new R2tPdu();

  public PduCodec(WireState state) {
    this.state = state;
  }

  // ------------------------------------------------------------------ decoding

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws PduException {
    if (msg instanceof Frame f) {
      ctx.fireChannelRead(decode(f));
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  private Object decode(Frame fr) throws PduException {
    ByteBuf f = fr.buf;
    int type = fr.type;
    int flags = fr.flags;
    int h = fr.index + COMMON_HEADER;
    int dataIndex = fr.index + fr.pdo;
    int dataLen = fr.pdo == 0 ? 0
        : fr.length - fr.pdo - ((flags & FLAG_DDGST) != 0 ? DIGEST : 0);
    switch (type) {
      case ICREQ:
        return new Pdu.IcReq(f.getUnsignedShortLE(h), f.getUnsignedByte(h + 2),
            (f.getByte(h + 3) & 1) != 0, (f.getByte(h + 3) & 2) != 0, f.getIntLE(h + 4));
      case ICRESP:
        return new Pdu.IcResp(f.getUnsignedShortLE(h), f.getUnsignedByte(h + 2),
            (f.getByte(h + 3) & 1) != 0, (f.getByte(h + 3) & 2) != 0, f.getIntLE(h + 4));
      case H2C_TERM:
      case C2H_TERM:
        return new Pdu.TermReq(type == C2H_TERM, f.getUnsignedShortLE(h), f.getIntLE(h + 2));
      case CAPSULE_CMD:
        cmdIn.set(f.getUnsignedByte(h), f.getUnsignedByte(h + 1), f.getUnsignedShortLE(h + 2),
            f.getIntLE(h + 4), f.getLongLE(h + 24), f.getIntLE(h + 32), f.getUnsignedByte(h + 39),
            f.getIntLE(h + 40), f.getIntLE(h + 44), f.getIntLE(h + 48), f.getIntLE(h + 52),
            f.getIntLE(h + 56), f.getIntLE(h + 60));
        if (dataLen > 0) {
          cmdIn.received(f, dataIndex, dataLen);
        }
        return cmdIn;
      case CAPSULE_RESP:
        return respIn.set(f.getIntLE(h), f.getIntLE(h + 4), f.getUnsignedShortLE(h + 8),
            f.getUnsignedShortLE(h + 10), f.getUnsignedShortLE(h + 12),
            f.getUnsignedShortLE(h + 14) >>> 1);
      case H2C_DATA:
      case C2H_DATA:
        checkLength(dataLen, f.getIntLE(h + 8));
        dataIn.set(type == C2H_DATA, f.getUnsignedShortLE(h),
            type == H2C_DATA ? f.getUnsignedShortLE(h + 2) : 0, f.getIntLE(h + 4),
            (flags & FLAG_LAST) != 0, type == C2H_DATA && (flags & FLAG_SUCCESS) != 0);
        dataIn.received(f, dataIndex, dataLen);
        return dataIn;
      case R2T:
        return r2tIn.set(f.getUnsignedShortLE(h), f.getUnsignedShortLE(h + 2), f.getIntLE(h + 4),
            f.getIntLE(h + 8));
      default:
        throw new IllegalStateException("frame decoder passed PDU type " + type);
    }
  }

  private static void checkLength(int have, int datal) throws PduException {
    if (have != datal) {
      throw new PduException(FES_INVALID_HEADER, 16,
          "data PDU says datal " + datal + " but carries " + have + " bytes");
    }
  }

  // ------------------------------------------------------------------ encoding

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    ByteBuf out;
    if (msg instanceof ResponsePdu p) {
      out = response(ctx, p);
    } else if (msg instanceof DataPdu p) {
      out = data(ctx, p);
    } else if (msg instanceof CommandPdu p) {
      out = command(ctx, p);
    } else if (msg instanceof R2tPdu p) {
      out = r2t(ctx, p);
    } else if (msg instanceof Pdu p) {
      try {
        out = record(ctx, p);
      } finally {
        Pdu.release(p);
      }
    } else {
      ctx.write(msg, promise);
      return;
    }
    ctx.write(out, promise);
  }

  /** The records go through the same encoders as the reusable PDUs. */
  private ByteBuf record(ChannelHandlerContext ctx, Pdu pdu) {
    if (pdu instanceof Pdu.CapsuleCmd p) {
      cmdOut.set(p.opcode(), p.flags(), p.cid(), p.nsid(), p.sglAddress(), p.sglLength(),
          p.sglId(), p.cdw10(), p.cdw11(), p.cdw12(), p.cdw13(), p.cdw14(), p.cdw15());
      cmdOut.send(p.data());
      return command(ctx, cmdOut);
    } else if (pdu instanceof Pdu.CapsuleResp p) {
      return response(ctx, respOut.set(p.dw0(), p.dw1(), p.sqhd(), p.sqid(), p.cid(), p.status()));
    } else if (pdu instanceof Pdu.H2CData p) {
      dataOut.set(false, p.cccid(), p.ttag(), p.offset(), p.last(), false).send(p.data());
      return data(ctx, dataOut);
    } else if (pdu instanceof Pdu.C2HData p) {
      dataOut.set(true, p.cccid(), 0, p.offset(), p.last(), p.success()).send(p.data());
      return data(ctx, dataOut);
    } else if (pdu instanceof Pdu.R2T p) {
      return r2t(ctx, r2tOut.set(p.cccid(), p.ttag(), p.offset(), p.length()));
    } else if (pdu instanceof Pdu.IcReq p) {
      ByteBuf b = header(ctx, ICREQ, 0, IC_LEN, 0, IC_LEN, false);
      return b.writeShortLE(p.pfv()).writeByte(p.hpda()).writeByte(digests(p.hdgst(), p.ddgst()))
          .writeIntLE(p.maxR2t()).writeZero(112);
    } else if (pdu instanceof Pdu.IcResp p) {
      ByteBuf b = header(ctx, ICRESP, 0, IC_LEN, 0, IC_LEN, false);
      return b.writeShortLE(p.pfv()).writeByte(p.cpda()).writeByte(digests(p.hdgst(), p.ddgst()))
          .writeIntLE(p.maxH2cData()).writeZero(112);
    }
    Pdu.TermReq p = (Pdu.TermReq) pdu;
    ByteBuf b = header(ctx, p.fromController() ? C2H_TERM : H2C_TERM, 0, SHORT_HLEN, 0,
        SHORT_HLEN, false);
    return b.writeShortLE(p.fes()).writeIntLE(p.fei()).writeZero(10);
  }

  private ByteBuf command(ChannelHandlerContext ctx, CommandPdu p) {
    ByteBuf b = dataHeader(ctx, CAPSULE_CMD, 0, CMD_HLEN, p);
    int start = b.readerIndex();
    b.writeByte(p.opcode()).writeByte(p.flags()).writeShortLE(p.cid()).writeIntLE(p.nsid())
        .writeZero(16).writeLongLE(p.sglAddress()).writeIntLE(p.sglLength()).writeZero(3)
        .writeByte(p.sglId()).writeIntLE(p.cdw10()).writeIntLE(p.cdw11()).writeIntLE(p.cdw12())
        .writeIntLE(p.cdw13()).writeIntLE(p.cdw14()).writeIntLE(p.cdw15());
    return finish(b, start, CMD_HLEN, p);
  }

  private ByteBuf response(ChannelHandlerContext ctx, ResponsePdu p) {
    ByteBuf b = header(ctx, CAPSULE_RESP, 0, SHORT_HLEN, 0, headerOnly(SHORT_HLEN), state.hdgst);
    int start = b.readerIndex();
    b.writeIntLE(p.dw0()).writeIntLE(p.dw1()).writeShortLE(p.sqhd()).writeShortLE(p.sqid())
        .writeShortLE(p.cid()).writeShortLE(p.status() << 1);
    return finish(b, start, SHORT_HLEN, null);
  }

  private ByteBuf data(ChannelHandlerContext ctx, DataPdu p) {
    int fl = (p.last() ? FLAG_LAST : 0) | (p.success() ? FLAG_SUCCESS : 0);
    ByteBuf b = dataHeader(ctx, p.fromController() ? C2H_DATA : H2C_DATA, fl, SHORT_HLEN, p);
    int start = b.readerIndex();
    b.writeShortLE(p.cccid()).writeShortLE(p.fromController() ? 0 : p.ttag())
        .writeIntLE(p.offset()).writeIntLE(p.dataLength()).writeZero(4);
    return finish(b, start, SHORT_HLEN, p);
  }

  private ByteBuf r2t(ChannelHandlerContext ctx, R2tPdu p) {
    ByteBuf b = header(ctx, R2T, 0, SHORT_HLEN, 0, headerOnly(SHORT_HLEN), state.hdgst);
    int start = b.readerIndex();
    b.writeShortLE(p.cccid()).writeShortLE(p.ttag()).writeIntLE(p.offset())
        .writeIntLE(p.length()).writeZero(4);
    return finish(b, start, SHORT_HLEN, null);
  }

  private int headerOnly(int hlen) {
    return hlen + (state.hdgst ? DIGEST : 0);
  }

  private static int digests(boolean h, boolean d) {
    return (h ? 1 : 0) | (d ? 2 : 0);
  }

  private ByteBuf dataHeader(ChannelHandlerContext ctx, int type, int flags, int hlen,
      PduWithData p) {
    int hd = state.hdgst ? DIGEST : 0;
    if (!p.hasData()) {
      return header(ctx, type, flags, hlen, 0, hlen + hd, state.hdgst);
    }
    int pdo = hlen + hd;
    int plen = pdo + p.dataLength() + (state.ddgst ? DIGEST : 0);
    return header(ctx, type, flags | (state.ddgst ? FLAG_DDGST : 0), hlen, pdo, plen, state.hdgst);
  }

  /** A pooled buffer sized for the whole PDU, with the common header written. */
  private static ByteBuf header(ChannelHandlerContext ctx, int type, int flags, int hlen, int pdo,
      int plen, boolean hd) {
    ByteBuf b = ctx.alloc().directBuffer(plen);
    return b.writeByte(type).writeByte(flags | (hd ? FLAG_HDGST : 0)).writeByte(hlen)
        .writeByte(pdo).writeIntLE(plen);
  }

  /** Appends the header digest, the data and the data digest. */
  private ByteBuf finish(ByteBuf b, int start, int hlen, PduWithData p) {
    if (state.hdgst) {
      b.writeIntLE(crc.of(b, start, hlen));
    }
    if (p != null && p.hasData()) {
      int at = b.writerIndex();
      p.writeDataTo(b);
      if (state.ddgst) {
        b.writeIntLE(crc.of(b, at, p.dataLength()));
      }
    }
    return b;
  }
}
