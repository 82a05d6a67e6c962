package io.caspian.nvmf.host;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** What the initiator needs from Identify Controller and Identify Namespace. */
final class Identity {

  private Identity() {}

  /**
   * @param mdtsBytes maximum transfer size, 0 when unlimited
   * @param inCapsuleBytes in-capsule data an I/O command may carry
   */
  record Controller(String model, String serial, String firmware, int cntlid, long mdtsBytes,
      int inCapsuleBytes, int maxCmd, int oncs, boolean volatileCache, String subNqn) {

    static Controller parse(byte[] page) {
      ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
      int mdts = b.get(77) & 0xFF;
      long ioccsz = b.getInt(1792) & 0xFFFFFFFFL;
      return new Controller(ascii(page, 24, 40), ascii(page, 4, 20), ascii(page, 64, 8),
          b.getShort(78) & 0xFFFF, mdts == 0 ? 0 : 4096L << mdts,
          (int) Math.max(0, Math.min(1 << 20, ioccsz * 16 - 64)), b.getShort(514) & 0xFFFF,
          b.getShort(520) & 0xFFFF, (b.get(525) & 1) != 0, ascii(page, 768, 256));
    }
  }

  record Namespace(long blocks, int blockSize) {

    static Namespace parse(byte[] page) {
      ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
      int flbas = b.get(26) & 0xF;
      int lbads = b.get(128 + 4 * flbas + 2) & 0xFF;
      return new Namespace(b.getLong(0), lbads >= 9 && lbads <= 16 ? 1 << lbads : 0);
    }
  }

  private static String ascii(byte[] page, int at, int len) {
    int end = at;
    while (end < at + len && page[end] != 0) {
      end++;
    }
    return new String(page, at, end - at, StandardCharsets.US_ASCII).strip();
  }
}
