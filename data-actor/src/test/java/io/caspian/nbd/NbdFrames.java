package io.caspian.nbd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Byte fixtures of what an NBD client sends, and a parser of what the server answers. */
final class NbdFrames {

  private NbdFrames() {}

  static byte[] clientFlags(int flags) {
    return ByteBuffer.allocate(4).putInt(flags).array();
  }

  static byte[] option(int code, byte[] data) {
    return ByteBuffer.allocate(16 + data.length).putLong(Nbd.IHAVEOPT).putInt(code)
        .putInt(data.length).put(data).array();
  }

  /** Data of NBD_OPT_INFO / NBD_OPT_GO. */
  static byte[] goData(String name, int... infos) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length);
    b.putInt(n.length).put(n).putShort((short) infos.length);
    for (int i : infos) {
      b.putShort((short) i);
    }
    return b.array();
  }

  static byte[] request(int flags, int type, long cookie, long offset, long length,
      byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(28 + payload.length);
    b.putInt(Nbd.REQUEST_MAGIC).putShort((short) flags).putShort((short) type).putLong(cookie)
        .putLong(offset).putInt((int) length).put(payload);
    return b.array();
  }

  static byte[] request(int type, long cookie, long offset, long length) {
    return request(0, type, cookie, offset, length, new byte[0]);
  }

  /** Client flags with fixed newstyle and no zeroes, then structured replies (optional), then GO. */
  static byte[] handshake(String export, boolean structured) {
    byte[] flags = clientFlags(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES);
    byte[] sr = structured ? option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]) : new byte[0];
    return concat(flags, sr, option(Nbd.OPT_GO, goData(export, Nbd.INFO_BLOCK_SIZE)));
  }

  /** Data of NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT. */
  static byte[] metaData(String export, String... queries) {
    byte[] n = export.getBytes(StandardCharsets.UTF_8);
    int size = 4 + n.length + 4;
    for (String q : queries) {
      size += 4 + q.getBytes(StandardCharsets.UTF_8).length;
    }
    ByteBuffer b = ByteBuffer.allocate(size).putInt(n.length).put(n).putInt(queries.length);
    for (String q : queries) {
      byte[] qb = q.getBytes(StandardCharsets.UTF_8);
      b.putInt(qb.length).put(qb);
    }
    return b.array();
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    ByteBuffer b = ByteBuffer.allocate(n);
    for (byte[] p : parts) {
      b.put(p);
    }
    return b.array();
  }

  /** A handshake option reply. */
  record OptReply(int option, int type, byte[] data) {}

  /** A transmission reply: simple, or one structured chunk. */
  record Reply(boolean structured, int flags, int chunkType, long cookie, int error,
      long offset, byte[] data, String message) {}

  /** Reads what the server sent, in order. */
  static final class ServerStream {
    private final ByteBuffer b;

    ServerStream(byte[] bytes) {
      b = ByteBuffer.wrap(bytes);
    }

    int remaining() {
      return b.remaining();
    }

    int greeting() {
      check(b.getLong() == Nbd.NBDMAGIC, "NBDMAGIC");
      check(b.getLong() == Nbd.IHAVEOPT, "IHAVEOPT");
      return Short.toUnsignedInt(b.getShort());
    }

    OptReply optReply() {
      check(b.getLong() == Nbd.OPTION_REPLY_MAGIC, "option reply magic");
      int opt = b.getInt();
      int type = b.getInt();
      byte[] data = new byte[b.getInt()];
      b.get(data);
      return new OptReply(opt, type, data);
    }

    /** Option replies up to and including the first that is not NBD_REP_INFO/SERVER. */
    java.util.List<OptReply> optReplies() {
      java.util.List<OptReply> all = new java.util.ArrayList<>();
      OptReply r;
      do {
        r = optReply();
        all.add(r);
      } while (r.type() == Nbd.REP_INFO || r.type() == Nbd.REP_SERVER);
      return all;
    }

    /** The next reply; {@code simpleReadLength} is the data length a simple read reply carries. */
    Reply reply(int simpleReadLength) {
      int magic = b.getInt();
      if (magic == Nbd.SIMPLE_REPLY_MAGIC) {
        int error = b.getInt();
        long cookie = b.getLong();
        byte[] data = new byte[error == 0 ? simpleReadLength : 0];
        b.get(data);
        return new Reply(false, 0, 0, cookie, error, 0, data, null);
      }
      check(magic == Nbd.STRUCTURED_REPLY_MAGIC, "reply magic, got " + Integer.toHexString(magic));
      int flags = Short.toUnsignedInt(b.getShort());
      int type = Short.toUnsignedInt(b.getShort());
      long cookie = b.getLong();
      int length = b.getInt();
      if (type == Nbd.REPLY_TYPE_OFFSET_DATA) {
        long offset = b.getLong();
        byte[] data = new byte[length - 8];
        b.get(data);
        return new Reply(true, flags, type, cookie, 0, offset, data, null);
      }
      if (type == Nbd.REPLY_TYPE_ERROR) {
        int error = b.getInt();
        byte[] msg = new byte[Short.toUnsignedInt(b.getShort())];
        b.get(msg);
        b.position(b.position() + length - 6 - msg.length);
        return new Reply(true, flags, type, cookie, error, 0, new byte[0],
            new String(msg, StandardCharsets.UTF_8));
      }
      byte[] payload = new byte[length];
      b.get(payload);
      return new Reply(true, flags, type, cookie, 0, 0, payload, null);
    }

    Reply reply() {
      return reply(0);
    }

    private static void check(boolean ok, String what) {
      if (!ok) {
        throw new AssertionError("bad " + what);
      }
    }
  }
}
