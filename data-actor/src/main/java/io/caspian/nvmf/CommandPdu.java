package io.caspian.nvmf;

import java.nio.ByteBuffer;

/**
 * A command capsule on the I/O path: the codec decodes every received command into one
 * instance per connection, and a host reuses one instance per connection to send. Same fields
 * as {@link Pdu.CapsuleCmd}; valid only during the {@code channelRead} or {@code write} call.
 */
public final class CommandPdu extends PduWithData {

  private int opcode;
  private int flags;
  private int cid;
  private int nsid;
  private long sglAddress;
  private int sglLength;
  private int sglId;
  private int cdw10;
  private int cdw11;
  private int cdw12;
  private int cdw13;
  private int cdw14;
  private int cdw15;

  /** Sets every field and clears the data; {@link #data} adds in-capsule data. */
  public CommandPdu set(int opcode, int flags, int cid, int nsid, long sglAddress, int sglLength,
      int sglId, int cdw10, int cdw11, int cdw12, int cdw13, int cdw14, int cdw15) {
    this.opcode = opcode;
    this.flags = flags;
    this.cid = cid;
    this.nsid = nsid;
    this.sglAddress = sglAddress;
    this.sglLength = sglLength;
    this.sglId = sglId;
    this.cdw10 = cdw10;
    this.cdw11 = cdw11;
    this.cdw12 = cdw12;
    this.cdw13 = cdw13;
    this.cdw14 = cdw14;
    this.cdw15 = cdw15;
    noData();
    return this;
  }

  /** In-capsule data to send: {@code length} bytes of direct {@code src} from {@code offset}. */
  public CommandPdu data(ByteBuffer src, int offset, int length) {
    send(src, offset, length);
    return this;
  }

  /** The Connect data of a received Fabrics Connect, or null when it is not 1024 bytes. */
  public ConnectData connectData() {
    if (dataLength() != ConnectData.LENGTH) {
      return null;
    }
    return ConnectData.parse(frame().slice(frameIndex(), dataLength()));
  }

  public int opcode() {
    return opcode;
  }

  public int flags() {
    return flags;
  }

  public int cid() {
    return cid;
  }

  public int nsid() {
    return nsid;
  }

  /** The Fabrics command type of a Fabrics command (opcode 0x7F). */
  public int fctype() {
    return nsid & 0xFF;
  }

  public long sglAddress() {
    return sglAddress;
  }

  public int sglLength() {
    return sglLength;
  }

  public int sglId() {
    return sglId;
  }

  public int cdw10() {
    return cdw10;
  }

  public int cdw11() {
    return cdw11;
  }

  public int cdw12() {
    return cdw12;
  }

  public int cdw13() {
    return cdw13;
  }

  public int cdw14() {
    return cdw14;
  }

  public int cdw15() {
    return cdw15;
  }

  @Override
  public String toString() {
    return "CommandPdu[opcode=" + opcode + ", cid=" + cid + ", nsid=" + nsid + ", sgl=" + sglId
        + "/" + sglLength + ", data=" + dataLength() + "]";
  }
}
