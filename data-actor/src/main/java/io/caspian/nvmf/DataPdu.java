package io.caspian.nvmf;

import java.nio.ByteBuffer;

/**
 * An H2CData or C2HData PDU on the I/O path, reused per connection for receiving (codec) and
 * sending. Same fields as {@link Pdu.H2CData} and {@link Pdu.C2HData} ({@code ttag} is 0 and
 * {@code success} false on H2CData); valid only during the call that carries it.
 */
public final class DataPdu extends PduWithData {

  private boolean fromController;
  private int cccid;
  private int ttag;
  private int offset;
  private boolean last;
  private boolean success;

  /** An H2CData PDU carrying {@code length} bytes of direct {@code src} from {@code at}. */
  public DataPdu h2c(int cccid, int ttag, int offset, boolean last, ByteBuffer src, int at,
      int length) {
    set(false, cccid, ttag, offset, last, false);
    send(src, at, length);
    return this;
  }

  /** A C2HData PDU carrying {@code length} bytes of direct {@code src} from {@code at}. */
  public DataPdu c2h(int cccid, int offset, boolean last, boolean success, ByteBuffer src, int at,
      int length) {
    set(true, cccid, 0, offset, last, success);
    send(src, at, length);
    return this;
  }

  DataPdu set(boolean fromController, int cccid, int ttag, int offset, boolean last,
      boolean success) {
    this.fromController = fromController;
    this.cccid = cccid;
    this.ttag = ttag;
    this.offset = offset;
    this.last = last;
    this.success = success;
    return this;
  }

  /** C2HData (controller to host) rather than H2CData. */
  public boolean fromController() {
    return fromController;
  }

  public int cccid() {
    return cccid;
  }

  public int ttag() {
    return ttag;
  }

  public int offset() {
    return offset;
  }

  public boolean last() {
    return last;
  }

  /** C2HData only: the controller completes the command with this PDU, no response follows. */
  public boolean success() {
    return success;
  }

  @Override
  public String toString() {
    return (fromController ? "C2HData" : "H2CData") + "[cccid=" + cccid + ", ttag=" + ttag
        + ", " + offset + "+" + dataLength() + (last ? ", last" : "")
        + (success ? ", success" : "") + "]";
  }
}
