package io.caspian.nbd;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A small blocking NBD client for tests over a real socket: fixed newstyle, structured replies,
 * NBD_OPT_GO. Requests are written and replies read separately, so a test can pipeline.
 */
final class NbdTestClient implements AutoCloseable {

  /** One reply; {@code data} is the read payload (structured replies carry the offset). */
  record Reply(long cookie, int error, long offset, byte[] data) {}

  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  final long size;
  final int flags;

  NbdTestClient(InetSocketAddress address, String export) throws IOException {
    socket = new Socket();
    socket.connect(address, 5000);
    socket.setSoTimeout(10_000);
    socket.setTcpNoDelay(true);
    in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
    out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
    check(in.readLong() == Nbd.NBDMAGIC && in.readLong() == Nbd.IHAVEOPT, "greeting");
    in.readShort();
    out.writeInt(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES);
    option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
    check(optionReply(Nbd.OPT_STRUCTURED_REPLY) == Nbd.REP_ACK, "structured replies");
    option(Nbd.OPT_GO, NbdFrames.goData(export, Nbd.INFO_BLOCK_SIZE));
    long exportSize = -1;
    int exportFlags = 0;
    for (;;) {
      check(in.readLong() == Nbd.OPTION_REPLY_MAGIC, "option reply magic");
      in.readInt();
      int type = in.readInt();
      byte[] data = new byte[in.readInt()];
      in.readFully(data);
      if (type == Nbd.REP_ACK) {
        break;
      }
      check(type == Nbd.REP_INFO, "NBD_OPT_GO failed with reply type " + Integer.toHexString(type)
          + ": " + new String(data, StandardCharsets.UTF_8));
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(data);
      if (b.getShort() == Nbd.INFO_EXPORT) {
        exportSize = b.getLong();
        exportFlags = b.getShort() & 0xffff;
      }
    }
    size = exportSize;
    flags = exportFlags;
  }

  private void option(int code, byte[] data) throws IOException {
    out.writeLong(Nbd.IHAVEOPT);
    out.writeInt(code);
    out.writeInt(data.length);
    out.write(data);
    out.flush();
  }

  private int optionReply(int code) throws IOException {
    check(in.readLong() == Nbd.OPTION_REPLY_MAGIC, "option reply magic");
    check(in.readInt() == code, "option code echoed");
    int type = in.readInt();
    in.skipNBytes(in.readInt());
    return type;
  }

  /** Queues one request; {@link #flush()} sends what is queued. */
  void send(int type, int cmdFlags, long cookie, long offset, int length, byte[] payload)
      throws IOException {
    out.writeInt(Nbd.REQUEST_MAGIC);
    out.writeShort(cmdFlags);
    out.writeShort(type);
    out.writeLong(cookie);
    out.writeLong(offset);
    out.writeInt(length);
    if (payload != null) {
      out.write(payload);
    }
  }

  void flush() throws IOException {
    out.flush();
  }

  /** Reads one complete reply (all chunks of a structured reply). */
  Reply reply() throws IOException {
    long cookie = -1;
    int error = 0;
    long offset = -1;
    byte[] data = new byte[0];
    for (;;) {
      int magic = in.readInt();
      if (magic == Nbd.SIMPLE_REPLY_MAGIC) {
        // with structured replies negotiated, simple ones come only without data
        error = in.readInt();
        return new Reply(in.readLong(), error, -1, data);
      }
      check(magic == Nbd.STRUCTURED_REPLY_MAGIC, "reply magic " + Integer.toHexString(magic));
      int chunkFlags = in.readUnsignedShort();
      int type = in.readUnsignedShort();
      cookie = in.readLong();
      int length = in.readInt();
      if (type == Nbd.REPLY_TYPE_OFFSET_DATA) {
        offset = in.readLong();
        data = new byte[length - 8];
        in.readFully(data);
      } else if (type == Nbd.REPLY_TYPE_ERROR) {
        error = in.readInt();
        in.skipNBytes(length - 4);
      } else {
        in.skipNBytes(length);
      }
      if ((chunkFlags & Nbd.REPLY_FLAG_DONE) != 0) {
        return new Reply(cookie, error, offset, data);
      }
    }
  }

  @Override
  public void close() throws IOException {
    try {
      send(Nbd.CMD_DISC, 0, 0, 0, 0, null);
      flush();
      check(in.read() == -1, "server closes after NBD_CMD_DISC");
    } finally {
      socket.close();
    }
  }

  private static void check(boolean ok, String what) throws IOException {
    if (!ok) {
      throw new IOException("NBD test client: unexpected " + what);
    }
  }
}
