package io.caspian.nbd;

import static io.caspian.nbd.NbdFrames.handshake;
import static io.caspian.nbd.NbdFrames.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.caspian.bdev.MallocDevice;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes the NBD server's handshake and transmission decoders through the real connection
 * pipeline ({@link ConnectionInitializer} on an {@link EmbeddedChannel}). The input chooses
 * whether a valid handshake comes first (so that transmission is reached) and how the stream is
 * cut into socket reads; the rest of it is the stream. Whatever it holds, the connection either
 * carries on or is closed by the server's own protocol handling: an exception of any other type
 * reaching the handlers' last resort (logged with its stack trace) fails, and so does a second
 * connection to the same export that stops answering, or a leaked buffer.
 */
class NbdFuzzTest {

  private static final int SIZE = 64 * 1024;
  private static final Logger NBD_LOG = Logger.getLogger("io.caspian.nbd");
  /** Log records that carry an exception: the server met one it does not expect from a peer. */
  private static final List<LogRecord> UNEXPECTED = new CopyOnWriteArrayList<>();
  private static final Handler CAPTURE = new Handler() {
    @Override
    public void publish(LogRecord r) {
      if (r.getThrown() != null) {
        UNEXPECTED.add(r);
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  private static Exports exports;
  private static EmbeddedChannel neighbour;
  private static long cookie;

  @BeforeAll
  static void setUp() {
    LeakCheck.install();
    // Millions of refused connections would otherwise each log a warning.
    NBD_LOG.setUseParentHandlers(false);
    NBD_LOG.setLevel(Level.WARNING);
    NBD_LOG.addHandler(CAPTURE);
    exports = new Exports();
    exports.add("disk", new MallocDevice("malloc:///fuzz", SIZE, 512), false);
    neighbour = new EmbeddedChannel(new ConnectionInitializer(exports, 8));
    feed(neighbour, handshake("disk", false), 0, Integer.MAX_VALUE);
    drain(neighbour);
  }

  @AfterAll
  static void tearDown() throws InterruptedException {
    neighbour.finishAndReleaseAll();
    NBD_LOG.removeHandler(CAPTURE);
    NBD_LOG.setUseParentHandlers(true);
    LeakCheck.assertNoLeaks();
  }

  @FuzzTest(maxDuration = "30s")
  void anyByteStreamEndsInRepliesOrAClosedConnection(FuzzedDataProvider data) {
    boolean transmission = data.consumeBoolean();
    boolean structured = data.consumeBoolean();
    int chunk = data.consumeInt(1, 4096);
    byte[] stream = data.consumeRemainingAsBytes();

    EmbeddedChannel ch = new EmbeddedChannel(new ConnectionInitializer(exports, 4));
    try {
      if (transmission) {
        feed(ch, handshake("disk", structured), 0, Integer.MAX_VALUE);
        drain(ch);
      }
      for (int at = 0; at < stream.length && ch.isOpen(); at += chunk) {
        feed(ch, stream, at, Math.min(stream.length, at + chunk));
        drain(ch);
      }
    } finally {
      ch.finishAndReleaseAll();
    }
    assertTrue(UNEXPECTED.isEmpty(), () -> "the server met an exception a peer must not cause: "
        + UNEXPECTED.get(0).getMessage() + ": " + UNEXPECTED.get(0).getThrown());

    // Whatever happened to that connection, another one to the same export still works.
    feed(neighbour, request(Nbd.CMD_READ, ++cookie, 0, 512), 0, Integer.MAX_VALUE);
    byte[] reply = drain(neighbour);
    assertEquals(16 + 512, reply.length, "the other connection's READ reply");
    assertEquals(Nbd.SIMPLE_REPLY_MAGIC, ((reply[0] & 0xff) << 24) | ((reply[1] & 0xff) << 16)
        | ((reply[2] & 0xff) << 8) | (reply[3] & 0xff));
  }

  private static void feed(EmbeddedChannel ch, byte[] bytes, int from, int to) {
    int end = Math.min(to, bytes.length);
    if (end > from) {
      ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(end - from);
      b.writeBytes(bytes, from, end - from);
      ch.writeInbound(b);
    }
  }

  private static byte[] drain(EmbeddedChannel ch) {
    ch.runPendingTasks();
    ByteBuf all = PooledByteBufAllocator.DEFAULT.heapBuffer();
    try {
      for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
        all.writeBytes(b);
        b.release();
      }
      byte[] out = new byte[all.readableBytes()];
      all.readBytes(out);
      return out;
    } finally {
      all.release();
    }
  }
}
