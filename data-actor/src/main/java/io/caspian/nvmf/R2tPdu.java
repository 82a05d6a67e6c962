package io.caspian.nvmf;

/**
 * A Ready-to-Transfer PDU, reused per connection for receiving (codec) and sending (target).
 * Same fields as {@link Pdu.R2T}; valid only during the call that carries it.
 */
public final class R2tPdu {

  private int cccid;
  private int ttag;
  private int offset;
  private int length;

  public R2tPdu set(int cccid, int ttag, int offset, int length) {
    this.cccid = cccid;
    this.ttag = ttag;
    this.offset = offset;
    this.length = length;
    return this;
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

  public int length() {
    return length;
  }

  @Override
  public String toString() {
    return "R2tPdu[cccid=" + cccid + ", ttag=" + ttag + ", " + offset + "+" + length + "]";
  }
}
