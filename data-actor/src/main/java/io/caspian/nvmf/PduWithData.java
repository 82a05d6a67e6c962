package io.caspian.nvmf;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/**
 * The data part of a reusable I/O-path PDU. Received, it is a range of the frame the codec is
 * decoding, readable only while the handler's {@code channelRead} runs (copy it out with {@link
 * #copyDataTo}); to send, it names a range of the caller's buffer, which the codec copies into
 * the outgoing PDU during the write call.
 */
public abstract sealed class PduWithData permits CommandPdu, DataPdu {

  private ByteBuf frame;
  private int frameIndex;
  private ByteBuffer source;
  private ByteBuf sourceBuf;
  private int sourceOffset;
  private int length;

  /** Whether the PDU carries data; a data-carrying PDU always has at least one byte. */
  public final boolean hasData() {
    return length > 0;
  }

  public final int dataLength() {
    return length;
  }

  /** Copies received data into {@code dst} from {@code dstOffset}. */
  public final void copyDataTo(ByteBuffer dst, int dstOffset) {
    Copy.toBuffer(received(), frameIndex, dst, dstOffset, length);
  }

  /** Copies received data into {@code dst} from {@code dstOffset}. */
  public final void copyDataTo(byte[] dst, int dstOffset) {
    received().getBytes(frameIndex, dst, dstOffset, length);
  }

  private ByteBuf received() {
    if (frame == null) {
      throw new IllegalStateException("no received data in this PDU");
    }
    return frame;
  }

  /** Received data of type-specific views, e.g. the Connect data of a command. */
  final ByteBuf frame() {
    return received();
  }

  final int frameIndex() {
    return frameIndex;
  }

  final void noData() {
    frame = null;
    source = null;
    sourceBuf = null;
    length = 0;
  }

  /** Set by the codec: {@code length} bytes of {@code buf} at {@code index}. */
  final void received(ByteBuf buf, int index, int length) {
    noData();
    this.frame = buf;
    this.frameIndex = index;
    this.length = length;
  }

  /** Data to send: {@code length} bytes of direct buffer {@code src} from {@code offset}. */
  final void send(ByteBuffer src, int offset, int length) {
    noData();
    this.source = src;
    this.sourceOffset = offset;
    this.length = length;
  }

  /** Data to send: the readable bytes of {@code buf} (the codec does not release it). */
  final void send(ByteBuf buf) {
    noData();
    if (buf != null) {
      this.sourceBuf = buf;
      this.length = buf.readableBytes();
    }
  }

  /** Appends the data to send to {@code out}. */
  final void writeDataTo(ByteBuf out) {
    if (source != null) {
      Copy.append(source, sourceOffset, out, length);
    } else if (sourceBuf != null) {
      out.writeBytes(sourceBuf, sourceBuf.readerIndex(), length);
    }
  }
}
