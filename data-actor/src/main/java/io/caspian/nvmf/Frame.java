package io.caspian.nvmf;

import io.netty.buffer.ByteBuf;

/**
 * One whole PDU as the frame decoder hands it to the codec: a range of the decoder's
 * cumulation buffer, valid only while the codec's {@code channelRead} runs. One instance per
 * connection, reused for every PDU, so framing allocates nothing.
 */
final class Frame {

  ByteBuf buf;
  int index;
  int length;
  int type;
  int flags;
  int pdo;

  Frame set(ByteBuf buf, int index, int length, int type, int flags, int pdo) {
    this.buf = buf;
    this.index = index;
    this.length = length;
    this.type = type;
    this.flags = flags;
    this.pdo = pdo;
    return this;
  }
}
