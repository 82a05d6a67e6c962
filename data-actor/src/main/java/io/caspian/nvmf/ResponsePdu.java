package io.caspian.nvmf;

/**
 * A response capsule on the I/O path, reused per connection for receiving (codec) and sending
 * (target). Same fields as {@link Pdu.CapsuleResp}; valid only during the call that carries it.
 */
public final class ResponsePdu {

  private int dw0;
  private int dw1;
  private int sqhd;
  private int sqid;
  private int cid;
  private int status;

  /** @param status CQE status without the phase bit, as in {@link Pdu.CapsuleResp} */
  public ResponsePdu set(int dw0, int dw1, int sqhd, int sqid, int cid, int status) {
    this.dw0 = dw0;
    this.dw1 = dw1;
    this.sqhd = sqhd;
    this.sqid = sqid;
    this.cid = cid;
    this.status = status;
    return this;
  }

  public int dw0() {
    return dw0;
  }

  public int dw1() {
    return dw1;
  }

  public int sqhd() {
    return sqhd;
  }

  public int sqid() {
    return sqid;
  }

  public int cid() {
    return cid;
  }

  public int status() {
    return status;
  }

  @Override
  public String toString() {
    return "ResponsePdu[cid=" + cid + ", status=0x" + Integer.toHexString(status) + "]";
  }
}
