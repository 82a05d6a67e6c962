package io.caspian.nvmf;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The 1024-byte data of a Fabrics Connect command.
 *
 * @param cntlid 0xFFFF (dynamic) on an admin queue, the controller to join on an I/O queue
 */
public record ConnectData(UUID hostId, int cntlid, String subNqn, String hostNqn) {

  public static final int LENGTH = 1024;
  public static final int SUBNQN_OFFSET = 256;
  public static final int HOSTNQN_OFFSET = 512;
  public static final int CNTLID_OFFSET = 16;

  /** Parses {@code data}, or returns null when it is not 1024 bytes. */
  public static ConnectData parse(ByteBuf data) {
    if (data == null || data.readableBytes() != LENGTH) {
      return null;
    }
    int r = data.readerIndex();
    UUID hostId = new UUID(data.getLong(r), data.getLong(r + 8));
    return new ConnectData(hostId, data.getUnsignedShortLE(r + CNTLID_OFFSET),
        string(data, r + SUBNQN_OFFSET), string(data, r + HOSTNQN_OFFSET));
  }

  public ByteBuf encode(ByteBufAllocator alloc) {
    ByteBuf b = alloc.buffer(LENGTH).writeZero(LENGTH);
    b.setLong(0, hostId.getMostSignificantBits()).setLong(8, hostId.getLeastSignificantBits());
    b.setShortLE(CNTLID_OFFSET, cntlid);
    byte[] s = subNqn.getBytes(StandardCharsets.UTF_8);
    byte[] h = hostNqn.getBytes(StandardCharsets.UTF_8);
    b.setBytes(SUBNQN_OFFSET, s, 0, Math.min(255, s.length));
    b.setBytes(HOSTNQN_OFFSET, h, 0, Math.min(255, h.length));
    return b;
  }

  private static String string(ByteBuf b, int at) {
    int end = at;
    while (end < at + 256 && b.getByte(end) != 0) {
      end++;
    }
    return b.toString(at, end - at, StandardCharsets.UTF_8).strip();
  }
}
