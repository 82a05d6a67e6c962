package io.caspian.nexus.intent;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The byte layout of one slot of a write-intent log.
 *
 * <pre>
 *   0  magic      8  "CSPNWIL1"
 *   8  version    4
 *  12  length     4  bytes of the whole record, header included
 *  16  crc32c     4  over bytes [20, length)
 *  20  sequence   8
 *  28  volumeSize 8
 *  36  regionSize 4
 *  40  regions    4
 *  44  uuid       2-byte length + UTF-8
 *      members    2-byte count, then per member: 2-byte length + UTF-8 URI, 1 byte complete
 *      bitmap     ceil(regions / 64) longs, little-endian
 * </pre>
 *
 * The checksum covers everything after itself, and the length is checked against it, so a slot
 * torn anywhere (or holding an older, shorter record's tail) fails to decode.
 */
final class SlotCodec {

  static final long MAGIC = 0x315249574e505343L; // "CSPNWIL1" read little-endian
  static final int VERSION = 1;
  private static final int HEADER = 20;

  private SlotCodec() {}

  /** Writes {@code image} at the start of {@code out} (cleared first); returns its length. */
  static int encode(LogImage image, ByteBuffer out) {
    out.clear();
    out.putLong(MAGIC).putInt(VERSION).putInt(0).putInt(0);
    out.putLong(image.sequence()).putLong(image.volumeSize()).putInt(image.regionSize())
        .putInt(image.regionCount());
    putString(out, image.nexusUuid());
    out.putShort((short) image.members().size());
    for (Member m : image.members()) {
      putString(out, m.uri());
      out.put((byte) (m.complete() ? 1 : 0));
    }
    for (long w : image.bitmap()) {
      out.putLong(w);
    }
    int length = out.position();
    out.putInt(12, length);
    out.putInt(16, crc(out, length));
    out.flip();
    return length;
  }

  /** The image in {@code in} (position 0 to its limit), or throws with why it is not valid. */
  static LogImage decode(ByteBuffer in) throws InvalidSlot {
    if (in.limit() < HEADER) {
      throw new InvalidSlot("slot is short: " + in.limit() + " bytes");
    }
    if (in.getLong(0) != MAGIC) {
      throw new InvalidSlot("no magic");
    }
    if (in.getInt(8) != VERSION) {
      throw new InvalidSlot("version " + in.getInt(8) + ", not " + VERSION);
    }
    int length = in.getInt(12);
    if (length < HEADER || length > in.limit()) {
      throw new InvalidSlot("length " + length + " outside the slot");
    }
    if (crc(in, length) != in.getInt(16)) {
      throw new InvalidSlot("checksum mismatch (torn or corrupt)");
    }
    try {
      ByteBuffer b = in.duplicate().order(in.order()).position(HEADER).limit(length);
      long sequence = b.getLong();
      long volumeSize = b.getLong();
      int regionSize = b.getInt();
      int regions = b.getInt();
      String uuid = getString(b);
      int count = b.getShort() & 0xffff;
      List<Member> members = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        members.add(new Member(getString(b), b.get() != 0));
      }
      if (volumeSize <= 0 || regionSize <= 0
          || regions != LogImage.regionCount(volumeSize, regionSize)) {
        throw new InvalidSlot("inconsistent geometry: " + volumeSize + " bytes, " + regions
            + " regions of " + regionSize);
      }
      long[] bitmap = new long[LogImage.words(regions)];
      for (int i = 0; i < bitmap.length; i++) {
        bitmap[i] = b.getLong();
      }
      return new LogImage(uuid, volumeSize, regionSize, sequence, members, bitmap);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new InvalidSlot("malformed record: " + e);
    }
  }

  private static int crc(ByteBuffer b, int length) {
    CRC32C c = new CRC32C();
    c.update(b.duplicate().position(HEADER).limit(length));
    return (int) c.getValue();
  }

  private static void putString(ByteBuffer out, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    out.putShort((short) bytes.length).put(bytes);
  }

  private static String getString(ByteBuffer b) {
    byte[] bytes = new byte[b.getShort() & 0xffff];
    b.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** A slot that does not hold a valid record, and why. */
  static final class InvalidSlot extends Exception {
    InvalidSlot(String why) {
      super(why);
    }
  }
}
