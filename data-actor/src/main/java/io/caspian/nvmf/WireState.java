package io.caspian.nvmf;

/**
 * What one connection has negotiated: digests, and how much data a received PDU may carry.
 * Shared by the frame decoder, the codec and the handler of one channel, all on its event loop.
 */
public final class WireState {

  /** True on the target, false on the host: decides which PDU types may arrive. */
  final boolean controller;
  boolean negotiated;
  boolean hdgst;
  boolean ddgst;
  int maxData;

  /**
   * @param maxData the most data one received PDU may carry (the frame decoder refuses longer
   *     ones before buffering them)
   */
  public WireState(boolean controller, int maxData) {
    this.controller = controller;
    this.maxData = maxData;
  }

  /** Called once the ICReq/ICResp exchange is done; later PDUs carry the agreed digests. */
  public void negotiated(boolean headerDigest, boolean dataDigest) {
    this.negotiated = true;
    this.hdgst = headerDigest;
    this.ddgst = dataDigest;
  }

  public void maxData(int bytes) {
    this.maxData = bytes;
  }
}
