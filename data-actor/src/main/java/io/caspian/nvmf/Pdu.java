package io.caspian.nvmf;

import io.netty.buffer.ByteBuf;

/**
 * One NVMe/TCP PDU as an immutable record: what the codec decodes ICReq/ICResp and TermReq
 * into, and what rare paths (admin data, Connect) and tests send. The I/O path uses the
 * reusable {@link CommandPdu}, {@link ResponsePdu}, {@link DataPdu} and {@link R2tPdu} instead.
 * Records that carry data own one reference to it: whoever consumes the record releases the
 * data (or hands it on), and the encoder releases what it writes.
 */
public sealed interface Pdu {

  /** Releases the data a PDU carries, if any. */
  static void release(Pdu pdu) {
    ByteBuf data = pdu instanceof WithData d ? d.data() : null;
    if (data != null) {
      data.release();
    }
  }

  /** A PDU that may carry data; {@code data} is null when it carries none. */
  sealed interface WithData extends Pdu {
    ByteBuf data();
  }

  /** @param maxR2t 0's based: outstanding R2Ts per command the host accepts */
  record IcReq(int pfv, int hpda, boolean hdgst, boolean ddgst, int maxR2t) implements Pdu {}

  record IcResp(int pfv, int cpda, boolean hdgst, boolean ddgst, int maxH2cData) implements Pdu {}

  /** H2CTermReq (host to controller) or C2HTermReq: the connection is about to close. */
  record TermReq(boolean fromController, int fes, int fei) implements Pdu {}

  /**
   * A command capsule: the 64-byte submission queue entry field by field (Fabrics commands
   * keep their fctype in the low byte of {@code nsid}), and in-capsule data if any.
   */
  record CapsuleCmd(int opcode, int flags, int cid, int nsid, long sglAddress, int sglLength,
      int sglId, int cdw10, int cdw11, int cdw12, int cdw13, int cdw14, int cdw15, ByteBuf data)
      implements WithData {

    /** The Fabrics command type of a Fabrics command (opcode 0x7F). */
    public int fctype() {
      return nsid & 0xFF;
    }
  }

  /**
   * A response capsule.
   *
   * @param status the CQE status field without the phase bit: SC in bits 0-7, SCT in 8-10,
   *     DNR in bit 14; 0 is success
   */
  record CapsuleResp(int dw0, int dw1, int sqhd, int sqid, int cid, int status) implements Pdu {}

  record H2CData(int cccid, int ttag, int offset, boolean last, ByteBuf data) implements WithData {}

  /** @param success the controller completes the command with this PDU, no response follows */
  record C2HData(int cccid, int offset, boolean last, boolean success, ByteBuf data)
      implements WithData {}

  record R2T(int cccid, int ttag, int offset, int length) implements Pdu {}
}
