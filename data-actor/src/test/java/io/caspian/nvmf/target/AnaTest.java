package io.caspian.nvmf.target;

import static io.caspian.nvmf.Nvme.*;
import static org.junit.jupiter.api.Assertions.*;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import io.caspian.nvmf.Nvme;
import io.caspian.nvmf.host.NvmfDevice;
import java.nio.ByteBuffer;
import io.caspian.nvmf.LeakWatch;
import io.caspian.nvmf.Pdu;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Asymmetric Namespace Access on the target pipeline (an {@link EmbeddedChannel}, driven PDU by
 * PDU as a host would): the Identify fields, the ANA log page and its change count, the path
 * errors of I/O in each state, and ANA change notices on Async Event Requests; and once over TCP
 * with our own initiator.
 */
class AnaTest {

  private static final String NQN = "nqn.2019-05.io.caspian:7d1c2a4e-6d0f-4e0b-9b6f-3d1f2a7c9e42";
  private static final String HOST = "nqn.2014-08.org.nvmexpress:uuid:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
  private final LeakWatch leaks = new LeakWatch();
  private Exports exports;
  private final List<EmbeddedHost> hosts = new ArrayList<>();

  @BeforeEach
  void setUp() {
    exports = new Exports(TargetConfig.defaults());
    exports.add(NQN, new MallocDevice("malloc:///ana", 4 << 20, 512), Set.of());
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    for (EmbeddedHost h : hosts) {
      h.close();
    }
    leaks.check();
  }

  /** A host-side connection, closed after the test. */
  private EmbeddedHost host() {
    EmbeddedHost h = new EmbeddedHost(exports, false, false);
    hosts.add(h);
    return h;
  }

  /** A command answered with data: returns a copy of the data, asserting success. */
  private static byte[] read(EmbeddedHost h, int opcode, int nsid, int len, int cdw10, int cdw11) {
    List<Pdu> r = h.command(opcode, nsid, SGL_TRANSPORT, len, cdw10, cdw11, 0, null);
    try {
      assertEquals(2, r.size(), r.toString());
      assertEquals(0, ((Pdu.CapsuleResp) r.get(1)).status());
      ByteBuf d = ((Pdu.C2HData) r.get(0)).data();
      byte[] out = new byte[d.readableBytes()];
      d.getBytes(d.readerIndex(), out);
      return out;
    } finally {
      r.forEach(Pdu::release);
    }
  }

  /** Connects queue {@code qid}, asserting success; returns the controller id. */
  private static int connect(EmbeddedHost h, int qid, int cntlid) {
    Pdu.CapsuleResp resp = h.connect(NQN, qid, cntlid, HOST, 0);
    assertEquals(0, resp.status());
    return resp.dw0() & 0xFFFF;
  }

  /** Connects and enables an admin queue; returns the controller id. */
  private int adminUp(EmbeddedHost a) {
    int cntlid = connect(a, 0, 0xFFFF);
    assertEquals(0, a.simple(FABRICS, FCTYPE_PROPERTY_SET, 0, PROP_CC, 0x00460001).status());
    return cntlid;
  }

  /** The ANA log page read whole ({@code rgo}: groups only), clearing the event (RAE 0). */
  private static byte[] anaLog(EmbeddedHost a, boolean rgo) {
    return read(a, ADMIN_GET_LOG_PAGE, -1, 4096, LOG_ANA | (4096 / 4 - 1) << 16
        | (rgo ? LOG_ANA_RGO : 0), 0);
  }

  private static int le32(byte[] b, int at) {
    return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
  }

  private static long le64(byte[] b, int at) {
    return (le32(b, at) & 0xFFFFFFFFL) | (long) le32(b, at + 4) << 32;
  }

  @Test
  void identifyReportsAnaAndASharedNamespaceInGroupOne() {
    EmbeddedHost a = host();
    adminUp(a);
    byte[] id = read(a, ADMIN_IDENTIFY, 0, 4096, CNS_CONTROLLER, 0);
    assertEquals(0x0B, id[76], "CMIC: multi-port, multi-controller, ANA reporting");
    assertEquals(AEN_CFG_ANA_CHANGE, le32(id, 92) & AEN_CFG_ANA_CHANGE, "OAES: ANA change");
    assertEquals(Pages.ANATT_S, id[342], "ANATT");
    assertEquals(0x5F, id[343] & 0xFF, "ANACAP");
    assertEquals(1, le32(id, 344), "ANAGRPMAX");
    assertEquals(1, le32(id, 348), "NANAGRPID");
    assertEquals(1, le32(id, 540), "MNAN (Linux wants 1..NN)");
    assertEquals(1, le32(id, 516), "NN");
    byte[] ns = read(a, ADMIN_IDENTIFY, 1, 4096, CNS_NAMESPACE, 0);
    assertEquals(1, ns[30] & 1, "NMIC: shared");
    assertEquals(1, le32(ns, 92), "ANAGRPID");
  }

  @Test
  void logPageShowsTheStateAndCountsChanges() {
    EmbeddedHost a = host();
    adminUp(a);
    byte[] log = anaLog(a, false);
    assertEquals(0, le64(log, 0), "change count");
    assertEquals(1, le32(log, 8) & 0xFFFF, "descriptors");
    assertEquals(1, le32(log, 16), "ANAGRPID");
    assertEquals(1, le32(log, 20), "NNSID");
    assertEquals(0, le64(log, 24), "descriptor change count");
    assertEquals(0x01, log[32], "optimized");
    assertEquals(1, le32(log, 48), "NSID");

    assertTrue(exports.ana(NQN, AnaState.INACCESSIBLE));
    log = anaLog(a, false);
    assertEquals(1, le64(log, 0));
    assertEquals(1, le64(log, 24));
    assertEquals(0x03, log[32]);

    // The same state again is no change; each different one is.
    assertTrue(exports.ana(NQN, AnaState.INACCESSIBLE));
    assertEquals(1, le64(anaLog(a, false), 0));
    for (AnaState s : List.of(AnaState.CHANGE, AnaState.PERSISTENT_LOSS, AnaState.NON_OPTIMIZED)) {
      exports.ana(NQN, s);
      log = anaLog(a, false);
      assertEquals(s.wireValue(), log[32], s.toString());
      assertEquals(AnaState.ofWire(log[32]), s);
    }
    assertEquals(4, le64(log, 0));
    assertEquals(0x0F, AnaState.CHANGE.wireValue());
    assertEquals(0x04, AnaState.PERSISTENT_LOSS.wireValue());
    assertEquals(0x02, AnaState.NON_OPTIMIZED.wireValue());

    // Return Groups Only: the descriptor lists no namespaces, and nothing follows it.
    log = anaLog(a, true);
    assertEquals(1, le32(log, 16));
    assertEquals(0, le32(log, 20), "NNSID with RGO");
    assertEquals(0, le32(log, 48));
    assertFalse(exports.ana("nqn.2019-05.io.caspian:none", AnaState.OPTIMIZED));
  }

  @Test
  void ioGetsRetryablePathErrorsWhileThePathDoesNotServe() {
    EmbeddedHost a = host();
    int cntlid = adminUp(a);
    EmbeddedHost q = host();
    connect(q, 1, cntlid);
    record Expect(AnaState state, int status) {}
    for (Expect e : List.of(new Expect(AnaState.INACCESSIBLE, 0x302),
        new Expect(AnaState.PERSISTENT_LOSS, 0x301), new Expect(AnaState.CHANGE, 0x303),
        new Expect(AnaState.NON_OPTIMIZED, 0), new Expect(AnaState.OPTIMIZED, 0))) {
      exports.ana(NQN, e.state());
      ByteBuf block = Unpooled.directBuffer(512).writeZero(512);
      List<Pdu> w = q.command(IO_WRITE, 1, SGL_INCAPSULE, 512, 8, 0, 0, block);
      assertEquals(e.status(), ((Pdu.CapsuleResp) w.get(0)).status(), "write, " + e.state());
      List<Pdu> r = q.command(IO_READ, 1, SGL_TRANSPORT, 512, 8, 0, 0, null);
      assertEquals(e.status(), ((Pdu.CapsuleResp) r.get(r.size() - 1)).status(), "read, " + e.state());
      assertEquals(e.status() == 0 ? 2 : 1, r.size(), "read data only when served");
      r.forEach(Pdu::release);
      assertEquals(e.status(), q.simple(IO_FLUSH, 1, 0, 0, 0).status(), "flush, " + e.state());
      assertEquals(e.status(), q.simple(IO_WRITE_ZEROES, 1, 8, 0, 0).status(), "write zeroes, " + e.state());
      assertEquals(0, e.status() & DNR, "a path error must stay retryable");
    }
    // Admin commands still work on an inaccessible path: the host reads the log there.
    exports.ana(NQN, AnaState.INACCESSIBLE);
    assertEquals(0x03, anaLog(a, false)[32]);
  }

  @Test
  void changeCompletesAnOutstandingAsyncEventRequestOnceUntilTheLogIsRead() {
    EmbeddedHost a = host();
    adminUp(a);
    assertEquals(0, a.simple(ADMIN_SET_FEATURES, 0, FEAT_ASYNC_EVENT, 1 << 8 | AEN_CFG_ANA_CHANGE, 0).status());
    assertTrue(a.command(ADMIN_ASYNC_EVENT, 0, SGL_TRANSPORT, 0, 0, 0, 0, null).isEmpty(), "AER held");
    int aer1 = a.cid;
    assertTrue(a.command(ADMIN_ASYNC_EVENT, 0, SGL_TRANSPORT, 0, 0, 0, 0, null).isEmpty(), "AER held");
    int aer2 = a.cid;

    exports.ana(NQN, AnaState.INACCESSIBLE);
    List<Pdu> got = a.receive();
    assertEquals(1, got.size(), got.toString());
    Pdu.CapsuleResp aen = (Pdu.CapsuleResp) got.get(0);
    assertEquals(aer1, aen.cid(), "the oldest request completes first");
    assertEquals(0, aen.status());
    assertEquals(0x0C0302, aen.dw0(), "notice, ANA change, log page 0Ch");

    // Masked until the host reads the log: a second change sends nothing yet.
    exports.ana(NQN, AnaState.OPTIMIZED);
    assertTrue(a.receive().isEmpty());
    // A read with RAE set keeps it masked.
    byte[] log = read(a, ADMIN_GET_LOG_PAGE, -1, 64, LOG_ANA | (64 / 4 - 1) << 16 | LOG_RAE, 0);
    assertEquals(2, le64(log, 0));
    exports.ana(NQN, AnaState.CHANGE);
    assertTrue(a.receive().isEmpty());
    // The read without RAE shows the latest state and unmasks; the next change is sent.
    assertEquals(0x0F, anaLog(a, false)[32]);
    assertTrue(a.receive().isEmpty(), "what the read showed is not sent again");
    exports.ana(NQN, AnaState.OPTIMIZED);
    got = a.receive();
    assertEquals(1, got.size());
    assertEquals(aer2, ((Pdu.CapsuleResp) got.get(0)).cid());
    anaLog(a, false);

    // With no request outstanding, the notice waits for the next one.
    exports.ana(NQN, AnaState.NON_OPTIMIZED);
    assertTrue(a.receive().isEmpty());
    got = a.command(ADMIN_ASYNC_EVENT, 0, SGL_TRANSPORT, 0, 0, 0, 0, null);
    assertEquals(1, got.size());
    assertEquals(a.cid, ((Pdu.CapsuleResp) got.get(0)).cid());
    assertEquals(0x0C0302, ((Pdu.CapsuleResp) got.get(0)).dw0());
  }

  @Test
  void noNoticeToAControllerThatDidNotEnableIt() {
    EmbeddedHost a = host();
    adminUp(a);
    assertTrue(a.command(ADMIN_ASYNC_EVENT, 0, SGL_TRANSPORT, 0, 0, 0, 0, null).isEmpty());
    exports.ana(NQN, AnaState.INACCESSIBLE);
    assertTrue(a.receive().isEmpty());
    assertEquals(0x03, anaLog(a, false)[32]);
  }

  @Test
  void ourInitiatorGetsThePathErrorOverTcpAndIoResumesWhenThePathServesAgain() throws Exception {
    MallocDevice dev = new MallocDevice("malloc:///ana-tcp", 4 << 20, 512);
    String nqn = Nvme.nqnFor(UUID.randomUUID());
    try (NvmfTarget t = NvmfTarget.bind("127.0.0.1", 0, TargetConfig.defaults(), 1)) {
      t.addSubsystem(nqn, dev, Set.of());
      assertEquals(AnaState.OPTIMIZED, t.anaState(nqn));
      try (NvmfDevice d = NvmfDevice.open("nvmf://127.0.0.1:" + t.port() + "/" + nqn
          + "?hostnqn=" + HOST + "&io_queues=1&queue_depth=4")) {
        ByteBuffer buf = DirectMemory.allocate(4096);
        buf.putLong(0, 0x5EED);
        SyncIo.write(d, 0, buf, 0, 4096);
        assertTrue(t.setAnaState(nqn, AnaState.INACCESSIBLE));
        assertEquals(AnaState.INACCESSIBLE, t.anaState(nqn));
        BdevException e = assertThrows(BdevException.class, () -> SyncIo.read(d, 0, buf, 0, 4096));
        assertTrue(e.getMessage().contains("SCT 3 SC 0x02"), e.getMessage());
        assertThrows(BdevException.class, () -> SyncIo.write(d, 0, buf, 0, 4096));
        assertThrows(BdevException.class, () -> SyncIo.flush(d));
        t.setAnaState(nqn, AnaState.NON_OPTIMIZED);
        buf.putLong(0, 0);
        SyncIo.read(d, 0, buf, 0, 4096);
        assertEquals(0x5EED, buf.getLong(0), "the path serves again, with the data");
      }
    } finally {
      dev.close();
    }
  }

  @Test
  void controllerIdsStayInTheConfiguredRange() {
    exports.cntlidRange(0x100, 0x101);
    assertEquals(0x100, adminUp(host()));
    assertEquals(0x101, adminUp(host()));
    EmbeddedHost third = host();
    hosts.get(0).close();
    hosts.get(0).target.runPendingTasks();
    assertEquals(0x100, adminUp(third), "ids are reused once free, never outside the range");
  }
}
