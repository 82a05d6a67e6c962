package io.caspian.datanode;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * A minimal blocking NBD client for tests: fixed newstyle, NBD_OPT_EXPORT_NAME, simple replies,
 * one request at a time. Opened from the {@code nbd://host:port/name} URI a DataNode reports.
 */
final class NbdClient implements AutoCloseable {
  private static final long NBDMAGIC = 0x4e42444d41474943L;
  private static final long IHAVEOPT = 0x49484156454F5054L;
  private static final int REQUEST_MAGIC = 0x25609513;
  private static final int SIMPLE_REPLY_MAGIC = 0x67446698;
  private static final int CMD_READ = 0;
  private static final int CMD_WRITE = 1;
  private static final int CMD_DISC = 2;
  private static final int CMD_FLUSH = 3;

  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  final long size;
  private long cookie;

  NbdClient(String uri) throws IOException {
    URI u = URI.create(uri);
    socket = new Socket(u.getHost(), u.getPort());
    socket.setSoTimeout(10_000);
    socket.setTcpNoDelay(true);
    in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
    check(in.readLong() == NBDMAGIC && in.readLong() == IHAVEOPT, "greeting");
    in.readShort();
    out.writeInt(1 | 2); // fixed newstyle, no zeroes
    byte[] name = u.getPath().substring(1).getBytes(StandardCharsets.UTF_8);
    out.writeLong(IHAVEOPT);
    out.writeInt(1); // NBD_OPT_EXPORT_NAME
    out.writeInt(name.length);
    out.write(name);
    out.flush();
    size = in.readLong();
    in.readShort();
  }

  void write(long offset, byte[] data) throws IOException {
    request(CMD_WRITE, offset, data.length);
    out.write(data);
    out.flush();
    reply();
  }

  byte[] read(long offset, int length) throws IOException {
    request(CMD_READ, offset, length);
    out.flush();
    reply();
    byte[] b = new byte[length];
    in.readFully(b);
    return b;
  }

  void flush() throws IOException {
    request(CMD_FLUSH, 0, 0);
    out.flush();
    reply();
  }

  private void request(int type, long offset, int length) throws IOException {
    out.writeInt(REQUEST_MAGIC);
    out.writeShort(0);
    out.writeShort(type);
    out.writeLong(++cookie);
    out.writeLong(offset);
    out.writeInt(length);
  }

  private void reply() throws IOException {
    check(in.readInt() == SIMPLE_REPLY_MAGIC, "reply magic");
    int error = in.readInt();
    check(in.readLong() == cookie, "cookie");
    if (error != 0) {
      throw new IOException("NBD error " + error);
    }
  }

  private static void check(boolean ok, String what) throws IOException {
    if (!ok) {
      throw new IOException("NBD protocol: bad " + what);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      request(CMD_DISC, 0, 0);
      out.flush();
    } finally {
      socket.close();
    }
  }
}
