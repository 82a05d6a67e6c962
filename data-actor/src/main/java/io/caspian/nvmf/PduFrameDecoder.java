package io.caspian.nvmf;

import static io.caspian.nvmf.Wire.*;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Cuts the byte stream into whole PDUs. The common header is checked before anything else is
 * buffered (type, direction, header length, data offset, total length against the negotiated
 * limits), and header and data digests are verified when negotiated; any violation is a {@link
 * PduException} and ends the connection.
 *
 * <p>Each whole PDU goes on as a {@link Frame}: one reused object naming a range of the
 * cumulation, fired from {@code decode} itself so the bytes are still there while the codec
 * and the handler read them (a frame added to the output list could outlive the cumulation,
 * and a retained slice per PDU would cost an object per PDU).
 */
public final class PduFrameDecoder extends ByteToMessageDecoder {

  private final WireState state;
  private final Crc32c crc = new Crc32c();
  private final Frame frame = new Frame();
  private boolean failed;

  public PduFrameDecoder(WireState state) {
    this.state = state;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out)
      throws PduException {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    try {
      decodeOne(ctx, in);
    } catch (PduException e) {
      // The stream has lost its framing: nothing after this point can be trusted.
      failed = true;
      in.skipBytes(in.readableBytes());
      throw e;
    }
  }

  private void decodeOne(ChannelHandlerContext ctx, ByteBuf in) throws PduException {
    if (in.readableBytes() < COMMON_HEADER) {
      return;
    }
    int r = in.readerIndex();
    int type = in.getUnsignedByte(r);
    int flags = in.getUnsignedByte(r + 1);
    int hlen = in.getUnsignedByte(r + 2);
    int pdo = in.getUnsignedByte(r + 3);
    long plen = in.getUnsignedIntLE(r + 4);
    checkHeader(type, flags, hlen, pdo, plen);
    if (in.readableBytes() < plen) {
      return;
    }
    int len = (int) plen;
    boolean ic = type == ICREQ || type == ICRESP;
    boolean term = type == H2C_TERM || type == C2H_TERM;
    if (!ic && !term && state.hdgst) {
      int want = in.getIntLE(r + hlen);
      if (crc.of(in, r, hlen) != want) {
        throw new PduException(FES_HEADER_DIGEST, 0, "header digest mismatch on PDU type " + type);
      }
    }
    if (pdo != 0 && state.ddgst && !term) {
      int want = in.getIntLE(r + len - DIGEST);
      if (crc.of(in, r + pdo, len - pdo - DIGEST) != want) {
        throw new PduException(FES_HEADER_DIGEST, 0, "data digest mismatch on PDU type " + type);
      }
    }
    in.skipBytes(len);
    ctx.fireChannelRead(frame.set(in, r, len, type, flags, pdo));
  }

  private void checkHeader(int type, int flags, int hlen, int pdo, long plen) throws PduException {
    int want = headerLength(type);
    if (want < 0 || !expected(type)) {
      throw new PduException(FES_INVALID_HEADER, 0, "unexpected PDU type 0x"
          + Integer.toHexString(type) + (state.negotiated ? "" : " before ICReq/ICResp"));
    }
    if (hlen != want) {
      throw new PduException(FES_INVALID_HEADER, 2,
          "PDU type " + type + " has hlen " + hlen + ", expected " + want);
    }
    if (type == ICREQ || type == ICRESP) {
      if (plen != IC_LEN) {
        throw new PduException(FES_INVALID_HEADER, 4, "IC PDU with plen " + plen);
      }
      return;
    }
    if (type == H2C_TERM || type == C2H_TERM) {
      if (plen < hlen || plen > hlen + TERM_MAX_DATA) {
        throw new PduException(FES_INVALID_HEADER, 4, "TermReq with plen " + plen);
      }
      return;
    }
    boolean hd = (flags & FLAG_HDGST) != 0;
    if (hd != state.hdgst) {
      throw new PduException(FES_INVALID_HEADER, 1,
          "PDU header digest flag " + hd + " does not match the negotiated " + state.hdgst);
    }
    int headerEnd = hlen + (hd ? DIGEST : 0);
    if (pdo == 0) {
      if (plen != headerEnd) {
        throw new PduException(FES_INVALID_HEADER, 4,
            "PDU type " + type + " without data has plen " + plen + ", expected " + headerEnd);
      }
      if (type == H2C_DATA || type == C2H_DATA) {
        throw new PduException(FES_INVALID_HEADER, 3, "data PDU without data offset");
      }
      return;
    }
    if (!carriesData(type) || pdo < headerEnd) {
      throw new PduException(FES_INVALID_HEADER, 3, "PDU type " + type + " has bad pdo " + pdo);
    }
    boolean dd = (flags & FLAG_DDGST) != 0;
    if (dd != state.ddgst) {
      throw new PduException(FES_INVALID_HEADER, 1,
          "PDU data digest flag " + dd + " does not match the negotiated " + state.ddgst);
    }
    long dataLen = plen - pdo - (dd ? DIGEST : 0);
    if (dataLen <= 0 || dataLen > state.maxData) {
      throw new PduException(FES_LIMIT_EXCEEDED, 4, "PDU type " + type + " with plen " + plen
          + " carries " + dataLen + " data bytes; the limit is " + state.maxData);
    }
  }

  private boolean expected(int type) {
    if (!state.negotiated) {
      return type == (state.controller ? ICREQ : ICRESP);
    }
    if (state.controller) {
      return type == CAPSULE_CMD || type == H2C_DATA || type == H2C_TERM;
    }
    return type == CAPSULE_RESP || type == C2H_DATA || type == R2T || type == C2H_TERM;
  }
}
