package io.caspian.nvmf;

/** NVMe/TCP transport constants (PDU types, flags, header lengths) from the NVMe/TCP spec. */
public final class Wire {

  private Wire() {}

  public static final int ICREQ = 0x00;
  public static final int ICRESP = 0x01;
  public static final int H2C_TERM = 0x02;
  public static final int C2H_TERM = 0x03;
  public static final int CAPSULE_CMD = 0x04;
  public static final int CAPSULE_RESP = 0x05;
  public static final int H2C_DATA = 0x06;
  public static final int C2H_DATA = 0x07;
  public static final int R2T = 0x09;

  public static final int FLAG_HDGST = 0x01;
  public static final int FLAG_DDGST = 0x02;
  public static final int FLAG_LAST = 0x04;
  public static final int FLAG_SUCCESS = 0x08;

  public static final int COMMON_HEADER = 8;
  public static final int IC_LEN = 128;
  public static final int CMD_HLEN = 72;
  public static final int SHORT_HLEN = 24;
  public static final int DIGEST = 4;
  /** A TermReq carries at most this much of the offending PDU header. */
  public static final int TERM_MAX_DATA = 152;

  /** Fatal error status codes (FES) of a TermReq. */
  public static final int FES_INVALID_HEADER = 0x01;
  public static final int FES_SEQUENCE = 0x02;
  public static final int FES_HEADER_DIGEST = 0x03;
  public static final int FES_OUT_OF_RANGE = 0x04;
  public static final int FES_LIMIT_EXCEEDED = 0x05;
  public static final int FES_UNSUPPORTED = 0x06;

  /** The header length a PDU type must have, or -1 for an unknown type. */
  public static int headerLength(int type) {
    return switch (type) {
      case ICREQ, ICRESP -> IC_LEN;
      case CAPSULE_CMD -> CMD_HLEN;
      case H2C_TERM, C2H_TERM, CAPSULE_RESP, H2C_DATA, C2H_DATA, R2T -> SHORT_HLEN;
      default -> -1;
    };
  }

  /** Whether PDUs of this type may carry data. */
  public static boolean carriesData(int type) {
    return type == CAPSULE_CMD || type == H2C_DATA || type == C2H_DATA;
  }
}
