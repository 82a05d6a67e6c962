package io.caspian.nvmf.target;

import static io.caspian.nvmf.Nvme.FABRICS;
import static io.caspian.nvmf.Nvme.FCTYPE_CONNECT;
import static io.caspian.nvmf.Nvme.FCTYPE_PROPERTY_GET;
import static io.caspian.nvmf.Nvme.FCTYPE_PROPERTY_SET;
import static io.caspian.nvmf.Nvme.PROP_CC;
import static io.caspian.nvmf.Nvme.PROP_CSTS;
import static io.caspian.nvmf.Nvme.SGL_INCAPSULE;
import static io.caspian.nvmf.Nvme.SGL_TRANSPORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.caspian.bdev.MallocDevice;
import io.caspian.nvmf.ConnectData;
import io.caspian.nvmf.LeakWatch;
import io.caspian.nvmf.Pdu;
import io.caspian.nvmf.PduCodec;
import io.caspian.nvmf.PduFrameDecoder;
import io.caspian.nvmf.Records;
import io.caspian.nvmf.Wire;
import io.caspian.nvmf.WireState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes the NVMe/TCP target's PDU frame decoder, digest checks and codec through the real
 * target pipeline ({@link NvmfTarget#pipeline}) on an {@link EmbeddedChannel}. The input chooses
 * the digests, how far a valid exchange gets first (nothing, ICReq, or ICReq and an enabled admin
 * queue), whether the harness writes correct digests into the fuzzed PDUs (so that the fuzzer
 * reaches past them) and how the stream is cut into socket reads. A peer's bytes may end only in
 * answers, a TermReq or a closed connection: an exception of another kind reaching the queue
 * handler (logged with its stack trace) fails, as does a leaked buffer or a second connection to
 * the same subsystem that stops answering.
 */
class NvmfTargetFuzzTest {

  private static final String NQN = "nqn.2019-05.io.caspian:6a1f3e0c-2b7d-4c55-9d8e-0f4b2a9c7e31";
  private static final String HOST =
      "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555";
  private static final Logger NVMF_LOG = Logger.getLogger("io.caspian.nvmf");
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

  private static LeakWatch leaks;
  private static Exports exports;
  private static Host neighbour;

  @BeforeAll
  static void setUp() {
    leaks = new LeakWatch();
    // Millions of refused connections would otherwise each log a warning.
    NVMF_LOG.setUseParentHandlers(false);
    NVMF_LOG.setLevel(Level.WARNING);
    NVMF_LOG.addHandler(CAPTURE);
    exports = new Exports(TargetConfig.defaults());
    exports.add(NQN, new MallocDevice("malloc:///fuzz", 1 << 20, 512), Set.of(HOST));
    neighbour = new Host(false, false, true);
  }

  @AfterAll
  static void tearDown() throws InterruptedException {
    neighbour.close();
    NVMF_LOG.removeHandler(CAPTURE);
    NVMF_LOG.setUseParentHandlers(true);
    leaks.check();
  }

  @FuzzTest(maxDuration = "30s")
  void anyByteStreamEndsInAnswersOrAClosedConnection(FuzzedDataProvider data) {
    boolean hd = data.consumeBoolean();
    boolean dd = data.consumeBoolean();
    int stage = data.consumeInt(0, 2);
    boolean digests = data.consumeBoolean();
    int chunk = data.consumeInt(1, 4096);
    byte[] stream = data.consumeRemainingAsBytes();

    Host h = stage == 0 ? new Host() : new Host(hd, dd, stage == 2);
    try {
      if (digests) {
        writeDigests(stream, h.out);
      }
      for (int at = 0; at < stream.length && h.target.isOpen(); at += chunk) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer();
        b.writeBytes(stream, at, Math.min(chunk, stream.length - at));
        h.target.writeInbound(b);
        h.target.runPendingTasks();
        h.discardReplies();
      }
    } finally {
      h.close();
    }
    assertTrue(UNEXPECTED.isEmpty(), () -> "the target met an exception a peer must not cause: "
        + UNEXPECTED.get(0).getMessage() + ": " + UNEXPECTED.get(0).getThrown());

    // Whatever happened to that connection, another one to the same subsystem still answers.
    Pdu.CapsuleResp csts = neighbour.single(FABRICS, FCTYPE_PROPERTY_GET, 0, PROP_CSTS, 0);
    assertEquals(0, csts.status());
    assertEquals(1, csts.dw0() & 1, "the other controller is still ready");
  }

  /**
   * Writes correct header and data digests into the PDUs the stream's own length fields mark out,
   * as far as they are whole, for the digests {@code wire} negotiated.
   */
  private static void writeDigests(byte[] s, Digests wire) {
    CRC32C crc = new CRC32C();
    int at = 0;
    while (at + Wire.COMMON_HEADER <= s.length) {
      int hlen = s[at + 2] & 0xff;
      int pdo = s[at + 3] & 0xff;
      long plen = (s[at + 4] & 0xffL) | (s[at + 5] & 0xffL) << 8 | (s[at + 6] & 0xffL) << 16
          | (s[at + 7] & 0xffL) << 24;
      if (plen < Wire.COMMON_HEADER || at + plen > s.length) {
        return;
      }
      int end = at + (int) plen;
      if (wire.hdgst() && hlen + Wire.DIGEST <= plen) {
        crc.reset();
        crc.update(s, at, hlen);
        putIntLE(s, at + hlen, (int) crc.getValue());
      }
      if (wire.ddgst() && pdo != 0 && pdo + Wire.DIGEST < plen) {
        crc.reset();
        crc.update(s, at + pdo, (int) plen - pdo - Wire.DIGEST);
        putIntLE(s, end - Wire.DIGEST, (int) crc.getValue());
      }
      at = end;
    }
  }

  private static void putIntLE(byte[] s, int at, int v) {
    s[at] = (byte) v;
    s[at + 1] = (byte) (v >>> 8);
    s[at + 2] = (byte) (v >>> 16);
    s[at + 3] = (byte) (v >>> 24);
  }

  /** The digests a connection negotiated. */
  private record Digests(boolean hdgst, boolean ddgst) {}

  /** One host-side connection to a fresh target pipeline. */
  private static final class Host {
    final EmbeddedChannel target = new EmbeddedChannel();
    final WireState outState = new WireState(false, 1 << 20);
    final WireState inState = new WireState(false, 1 << 20);
    final EmbeddedChannel enc = new EmbeddedChannel(new PduCodec(outState));
    final EmbeddedChannel dec = new EmbeddedChannel(new PduFrameDecoder(inState),
        new PduCodec(inState), new Records());
    Digests out = new Digests(false, false);
    int cid;

    /** A connection that has exchanged nothing yet. */
    Host() {
      NvmfTarget.pipeline(target, exports);
    }

    /** A connection past ICReq/ICResp, and with an enabled admin controller if {@code admin}. */
    Host(boolean hd, boolean dd, boolean admin) {
      this();
      send(new Pdu.IcReq(0, 0, hd, dd, 0));
      Pdu.IcResp r = (Pdu.IcResp) replies().get(0);
      outState.negotiated(r.hdgst(), r.ddgst());
      inState.negotiated(r.hdgst(), r.ddgst());
      out = new Digests(r.hdgst(), r.ddgst());
      if (admin) {
        ByteBuf d = new ConnectData(UUID.randomUUID(), 0xFFFF, NQN, HOST)
            .encode(Unpooled.buffer().alloc());
        send(new Pdu.CapsuleCmd(FABRICS, 0x40, ++cid, FCTYPE_CONNECT, 0, ConnectData.LENGTH,
            SGL_INCAPSULE, 0, 31, 0, 0, 0, 0, d));
        assertEquals(0, onlyResponse().status(), "admin Connect");
        assertEquals(0, single(FABRICS, FCTYPE_PROPERTY_SET, 0, PROP_CC, 0x00460001).status(),
            "controller enable");
      }
    }

    void send(Pdu p) {
      enc.writeOutbound(p);
      for (ByteBuf b; (b = enc.readOutbound()) != null; ) {
        target.writeInbound(b);
      }
      target.runPendingTasks();
    }

    List<Pdu> replies() {
      for (ByteBuf b; (b = target.readOutbound()) != null; ) {
        dec.writeInbound(b);
      }
      List<Pdu> got = new ArrayList<>();
      for (Object o; (o = dec.readInbound()) != null; ) {
        got.add((Pdu) o);
      }
      return got;
    }

    Pdu.CapsuleResp onlyResponse() {
      List<Pdu> r = replies();
      assertEquals(1, r.size(), r.toString());
      return (Pdu.CapsuleResp) r.get(0);
    }

    Pdu.CapsuleResp single(int opcode, int nsid, int cdw10, int cdw11, int cdw12) {
      send(new Pdu.CapsuleCmd(opcode, 0x40, ++cid, nsid, 0, 0, SGL_TRANSPORT, cdw10, cdw11,
          cdw12, 0, 0, 0, null));
      return onlyResponse();
    }

    /** Releases what the target sent in answer to fuzzed bytes; their content is not judged. */
    void discardReplies() {
      for (ByteBuf b; (b = target.readOutbound()) != null; ) {
        b.release();
      }
    }

    void close() {
      target.finishAndReleaseAll();
      enc.finishAndReleaseAll();
      dec.finishAndReleaseAll();
    }
  }
}
