package io.caspian.nvmf.target;

import static io.caspian.nvmf.Nvme.*;
import static org.junit.jupiter.api.Assertions.*;

import io.caspian.bdev.MallocDevice;
import io.caspian.nvmf.LeakWatch;
import io.caspian.nvmf.Pdu;
import io.caspian.nvmf.Wire;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole target pipeline on an {@link EmbeddedChannel}, driven PDU by PDU as a host would:
 * Connect, properties, admin and I/O commands, and the error paths, with paranoid leak checks.
 */
class TargetPipelineTest {

  private static final String NQN = "nqn.2019-05.io.caspian:0b5e2a4e-6d0f-4e0b-9b6f-3d1f2a7c9e11";
  private static final String HOST = "nqn.2014-08.org.nvmexpress:uuid:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
  private final LeakWatch leaks = new LeakWatch();
  private Exports exports;
  private final List<EmbeddedHost> hosts = new ArrayList<>();

  @BeforeEach
  void setUp() {
    exports = new Exports(TargetConfig.defaults());
    exports.add(NQN, new MallocDevice("malloc:///pipe", 4 << 20, 512), Set.of(HOST));
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    for (EmbeddedHost h : hosts) {
      h.close();
    }
    leaks.check();
  }

  /** A host-side connection, closed after the test. */
  private EmbeddedHost host(boolean hd, boolean dd) {
    EmbeddedHost h = new EmbeddedHost(exports, hd, dd);
    hosts.add(h);
    return h;
  }

  private static void release(List<Pdu> pdus) {
    pdus.forEach(Pdu::release);
  }

  /** Connects an admin queue and enables the controller; returns the controller id. */
  private int adminUp(EmbeddedHost a) {
    Pdu.CapsuleResp r = a.connect(NQN, 0, 0xFFFF, HOST, 0);
    assertEquals(0, r.status());
    assertEquals(0, a.simple(FABRICS, FCTYPE_PROPERTY_SET, 0, PROP_CC, 0x00460001).status());
    assertEquals(1, a.simple(FABRICS, FCTYPE_PROPERTY_GET, 0, PROP_CSTS, 0).dw0() & 1);
    return r.dw0() & 0xFFFF;
  }

  @Test
  void unknownAdminOpcodeIsRefusedAndTheQueueKeepsWorking() {
    EmbeddedHost a = host(false, false);
    adminUp(a);
    assertEquals(SC_INVALID_OPCODE | DNR, a.simple(0xC1, 0, 0, 0, 0).status());
    assertEquals(0, a.simple(ADMIN_KEEP_ALIVE, 0, 0, 0, 0).status());
    List<Pdu> id = a.command(ADMIN_IDENTIFY, 0, SGL_TRANSPORT, 4096, CNS_CONTROLLER, 0, 0, null);
    assertEquals(2, id.size());
    Pdu.C2HData data = (Pdu.C2HData) id.get(0);
    assertEquals(4096, data.data().readableBytes());
    assertEquals(0x66, data.data().getUnsignedByte(512), "SQES");
    assertEquals(0, ((Pdu.CapsuleResp) id.get(1)).status());
    release(id);
    long cap = a.simple(FABRICS, FCTYPE_PROPERTY_GET, 1, PROP_CAP, 0).dw0() & 0xFFFFFFFFL;
    assertEquals(1023, cap & 0xFFFF, "MQES");
  }

  @Test
  void ioQueueReadWriteDsmAndUnknownOpcode() {
    EmbeddedHost a = host(true, true);
    int cntlid = adminUp(a);
    EmbeddedHost q = host(true, true);
    assertEquals(0, q.connect(NQN, 1, cntlid, HOST, 0).status());
    assertEquals(SC_INVALID_OPCODE | DNR, q.simple(0x55, 1, 0, 0, 0).status());

    ByteBuf block = Unpooled.directBuffer(4096);
    for (int i = 0; i < 4096; i++) {
      block.writeByte(i * 13);
    }
    ByteBuf expect = block.copy();
    List<Pdu> w = q.command(IO_WRITE, 1, SGL_INCAPSULE, 4096, 8, 0, 7, block);
    assertEquals(0, ((Pdu.CapsuleResp) w.get(0)).status());
    List<Pdu> r = q.command(IO_READ, 1, SGL_TRANSPORT, 4096, 8, 0, 7, null);
    assertEquals(expect, ((Pdu.C2HData) r.get(0)).data());
    assertEquals(0, ((Pdu.CapsuleResp) r.get(1)).status());
    release(r);

    // A 1 MiB deallocate exactly as Linux 6.1 sends it: NR 0, but 4 KiB of range space.
    ByteBuf range = Unpooled.directBuffer(4096).writeIntLE(0).writeIntLE(2048).writeLongLE(0)
        .writeZero(4096 - 16);
    List<Pdu> d = q.command(IO_DSM, 1, SGL_INCAPSULE, 4096, 0, 0x04, 0, range);
    assertEquals(0, ((Pdu.CapsuleResp) d.get(0)).status(), d.toString());
    r = q.command(IO_READ, 1, SGL_TRANSPORT, 4096, 8, 0, 7, null);
    assertEquals(0, ((Pdu.C2HData) r.get(0)).data().getLong(100));
    release(r);

    // Past the end, and more than MDTS.
    assertEquals(SC_LBA_RANGE | DNR, q.simple(IO_READ, 1, 8192, 0, 0).status());
    assertEquals(SC_INVALID_FIELD | DNR,
        ((Pdu.CapsuleResp) q.command(IO_READ, 1, SGL_TRANSPORT, 1 << 20, 0, 0, 2047, null)
            .get(0)).status());
    assertEquals(SC_INVALID_NS | DNR, q.simple(IO_FLUSH, 2, 0, 0, 0).status());
    assertEquals(0, q.simple(IO_FLUSH, 1, 0, 0, 0).status());
    expect.release();
  }

  @Test
  void largeWriteUsesR2tAndH2cData() {
    EmbeddedHost a = host(false, false);
    int cntlid = adminUp(a);
    EmbeddedHost q = host(false, false);
    assertEquals(0, q.connect(NQN, 1, cntlid, HOST, 0).status());
    int len = 256 * 1024;
    List<Pdu> r2t = q.command(IO_WRITE, 1, SGL_TRANSPORT, len, 0, 0, len / 512 - 1, null);
    Pdu.R2T t = (Pdu.R2T) r2t.get(0);
    assertEquals(len, t.length());
    int step = 128 * 1024;
    List<Pdu> done = List.of();
    for (int off = 0; off < len; off += step) {
      ByteBuf part = Unpooled.directBuffer(step);
      for (int i = 0; i < step; i++) {
        part.writeByte(off / step + 1);
      }
      q.sendRaw(new Pdu.H2CData(t.cccid(), t.ttag(), off, off + step == len, part));
      done = q.receive();
    }
    assertEquals(0, ((Pdu.CapsuleResp) done.get(0)).status());
    List<Pdu> r = q.command(IO_READ, 1, SGL_TRANSPORT, 4096, step / 512, 0, 7, null);
    assertEquals(2, ((Pdu.C2HData) r.get(0)).data().getByte(5));
    release(r);
  }

  /**
   * Fencing at the last moment: a write whose command arrived while its host held the
   * reservation, but whose data (after R2T) arrives once a newer host preempted it, is refused
   * with Reservation Conflict and never reaches the device.
   */
  @Test
  void aWriteWhoseDataArrivesAfterAPreemptIsRefused() {
    EmbeddedHost a = host(false, false);
    int cntlid = adminUp(a);
    EmbeddedHost q = host(false, false);
    assertEquals(0, q.connect(NQN, 1, cntlid, HOST, 0).status());
    ByteBuf keys = Unpooled.directBuffer(16).writeLongLE(0).writeLongLE(1);
    assertEquals(SC_SUCCESS, ((Pdu.CapsuleResp) q.command(IO_RESV_REGISTER, 1, SGL_INCAPSULE,
        16, 0, 0, 0, keys).get(0)).status());
    keys = Unpooled.directBuffer(16).writeLongLE(1).writeLongLE(0);
    assertEquals(SC_SUCCESS, ((Pdu.CapsuleResp) q.command(IO_RESV_ACQUIRE, 1, SGL_INCAPSULE,
        16, RTYPE_WRITE_EXCLUSIVE << 8, 0, 0, keys).get(0)).status());

    int len = 64 * 1024;
    Pdu.R2T t = (Pdu.R2T) q.command(IO_WRITE, 1, SGL_TRANSPORT, len, 0, 0, len / 512 - 1, null)
        .get(0);
    Subsystem s = exports.subsystem(NQN);
    UUID newer = UUID.randomUUID();
    assertEquals(SC_SUCCESS, s.reserve(r -> r.register(newer, 0, false, 0, 2)));
    assertEquals(SC_SUCCESS, s.reserve(r -> r.acquire(newer, 1, RTYPE_WRITE_EXCLUSIVE, 2, 1)));
    ByteBuf data = Unpooled.directBuffer(len);
    for (int i = 0; i < len; i++) {
      data.writeByte(0x5A);
    }
    q.sendRaw(new Pdu.H2CData(t.cccid(), t.ttag(), 0, true, data));
    assertEquals(SC_RESERVATION_CONFLICT, ((Pdu.CapsuleResp) q.receive().get(0)).status());
    assertEquals(SC_RESERVATION_CONFLICT, q.simple(IO_WRITE_ZEROES, 1, 0, 0, 7).status());
    List<Pdu> r = q.command(IO_READ, 1, SGL_TRANSPORT, 4096, 0, 0, 7, null);
    assertEquals(0, ((Pdu.C2HData) r.get(0)).data().getByte(5), "the refused data is not there");
    assertEquals(0, ((Pdu.CapsuleResp) r.get(1)).status(), "reads still pass");
    release(r);
  }

  @Test
  void malformedPdusCloseTheConnectionWithATermReq() {
    EmbeddedHost a = host(false, false);
    adminUp(a);
    a.sendRaw(Unpooled.buffer().writeByte(0x0B).writeByte(0).writeByte(24).writeByte(0)
        .writeIntLE(24).writeZero(16));
    List<Pdu> got = a.receive();
    assertTrue(got.get(got.size() - 1) instanceof Pdu.TermReq t && t.fes() == Wire.FES_INVALID_HEADER,
        got.toString());
    assertFalse(a.target.isOpen());

    EmbeddedHost b = host(false, false);
    b.sendRaw(Unpooled.buffer().writeByte(0x04).writeByte(0).writeByte(72).writeByte(72)
        .writeIntLE(64 << 20));
    assertFalse(b.target.isOpen(), "oversized plen must close");
    release(b.receive());
  }

  @Test
  void headerDigestMismatchClosesTheConnection() {
    EmbeddedHost a = host(true, true);
    adminUp(a);
    a.enc.writeOutbound(new Pdu.CapsuleCmd(ADMIN_KEEP_ALIVE, 0x40, 99, 0, 0, 0, SGL_TRANSPORT,
        0, 0, 0, 0, 0, 0, null));
    ByteBuf bytes = Unpooled.buffer();
    for (ByteBuf b; (b = a.enc.readOutbound()) != null; ) {
      bytes.writeBytes(b);
      b.release();
    }
    bytes.setByte(12, bytes.getByte(12) ^ 0x10);
    a.sendRaw(bytes);
    List<Pdu> got = a.receive();
    assertTrue(got.get(got.size() - 1) instanceof Pdu.TermReq t
        && t.fes() == Wire.FES_HEADER_DIGEST, got.toString());
    assertFalse(a.target.isOpen());
  }

  @Test
  void hostsNotOnTheListAreRefusedAndSeveralControllersCoexist() {
    EmbeddedHost bad = host(false, false);
    Pdu.CapsuleResp r = bad.connect(NQN, 0, 0xFFFF, "nqn.2014-08.org.nvmexpress:uuid:intruder", 0);
    assertEquals(SC_CONNECT_INVALID_HOST | DNR, r.status());
    assertEquals(0, bad.simple(ADMIN_KEEP_ALIVE, 0, 0, 0, 0).status() == 0 ? 1 : 0,
        "an unconnected queue must not run admin commands");

    int c1 = adminUp(host(false, false));
    int c2 = adminUp(host(false, false));
    assertNotEquals(c1, c2);
    EmbeddedHost io = host(false, false);
    assertEquals(SC_CONNECT_INVALID_PARAM | DNR, io.connect(NQN, 1, 0x7777, HOST, 0).status(),
        "an I/O queue must name a live controller");
  }

  @Test
  void keepAliveTimeoutEndsTheController() throws Exception {
    EmbeddedHost a = host(false, false);
    Pdu.CapsuleResp r = a.connect(NQN, 0, 0xFFFF, HOST, 100);
    assertEquals(0, r.status());
    int cntlid = r.dw0() & 0xFFFF;
    assertNotNull(exports.controller(cntlid));
    Thread.sleep(200);
    a.target.advanceTimeBy(1, TimeUnit.SECONDS);
    a.target.runScheduledPendingTasks();
    assertFalse(a.target.isOpen(), "the admin queue stays open after its keep-alive expired");
    assertNull(exports.controller(cntlid));
  }

  private static final String OTHER = "nqn.2019-05.io.caspian:node:other";

  /** The subsystem NQNs in the discovery log page as {@code host} reads it. */
  private List<String> discover(String host) {
    EmbeddedHost h = host(false, false);
    assertEquals(0, h.connect(DISCOVERY_NQN, 0, 0xFFFF, host, 0).status());
    List<Pdu> log = h.command(ADMIN_GET_LOG_PAGE, 0, SGL_TRANSPORT, 4096,
        LOG_DISCOVERY | (1023 << 16), 0, 0, null);
    assertEquals(0, ((Pdu.CapsuleResp) log.get(log.size() - 1)).status(), log.toString());
    ByteBuf page = ((Pdu.C2HData) log.get(0)).data();
    List<String> nqns = new ArrayList<>();
    long records = page.getLongLE(8);
    for (int i = 0; i < records; i++) {
      int at = 1024 * (i + 1) + 256;
      int len = 0;
      while (page.getByte(at + len) != 0) {
        len++;
      }
      nqns.add(page.toString(at, len, java.nio.charset.StandardCharsets.US_ASCII));
    }
    release(log);
    return nqns;
  }

  @Test
  void discoveryListsOnlyTheSubsystemsAHostMayConnectTo() {
    String open = "nqn.2019-05.io.caspian:11111111-1111-1111-1111-111111111111";
    String others = "nqn.2019-05.io.caspian:22222222-2222-2222-2222-222222222222";
    exports.add(open, new MallocDevice("malloc:///open", 1 << 20, 512), Set.of());
    exports.add(others, new MallocDevice("malloc:///others", 1 << 20, 512), Set.of(OTHER));
    assertEquals(List.of(NQN, open), discover(HOST));
    assertEquals(List.of(open, others), discover(OTHER));
    assertEquals(List.of(open), discover("nqn.2014-08.org.nvmexpress:uuid:intruder"));
  }

  @Test
  void aNewAllowListDisconnectsTheHostsTakenOffItAndAdmitsTheNewOnes() {
    EmbeddedHost a = host(false, false);
    int cntlid = adminUp(a);
    EmbeddedHost q = host(false, false);
    assertEquals(0, q.connect(NQN, 1, cntlid, HOST, 0).status());
    assertEquals(List.of(NQN), discover(HOST));

    assertEquals(1, exports.allow(NQN, Set.of(OTHER)), "controllers dropped");
    a.target.runPendingTasks();
    q.target.runPendingTasks();
    assertFalse(a.target.isOpen(), "the admin queue of a host taken off the list stays open");
    assertFalse(q.target.isOpen(), "the I/O queue of a host taken off the list stays open");
    assertNull(exports.controller(cntlid));
    assertEquals(SC_CONNECT_INVALID_HOST | DNR,
        host(false, false).connect(NQN, 0, 0xFFFF, HOST, 0).status());
    assertEquals(List.of(), discover(HOST));
    assertEquals(0, host(false, false).connect(NQN, 0, 0xFFFF, OTHER, 0).status());
    assertEquals(List.of(NQN), discover(OTHER));
    assertEquals(-1, exports.allow("nqn.2019-05.io.caspian:not-exported", Set.of()));
  }

  @Test
  void identifyReportsTheNamespaceUuidAndCaspiansModelAndSerial() {
    UUID volume = UUID.fromString("5f1c0a52-9d57-4c1e-8f0a-0123456789ab");
    String nqn = "nqn.2019-05.io.caspian:nexus-" + volume;
    exports.add(new Subsystem(nqn, new MallocDevice("malloc:///vol", 1 << 20, 512), Set.of(HOST),
        volume, "Caspian Volume"));
    EmbeddedHost a = host(false, false);
    assertEquals(0, a.connect(nqn, 0, 0xFFFF, HOST, 0).status());
    byte[] uuidBytes = java.nio.ByteBuffer.allocate(16).putLong(volume.getMostSignificantBits())
        .putLong(volume.getLeastSignificantBits()).array();

    List<Pdu> ctrl = a.command(ADMIN_IDENTIFY, 0, SGL_TRANSPORT, 4096, CNS_CONTROLLER, 0, 0, null);
    ByteBuf c = ((Pdu.C2HData) ctrl.get(0)).data();
    String serial = c.toString(4, 20, java.nio.charset.StandardCharsets.US_ASCII).strip();
    assertEquals(Long.toHexString(volume.getMostSignificantBits() ^ volume.getLeastSignificantBits()),
        serial);
    assertEquals("Caspian Volume", c.toString(24, 40, java.nio.charset.StandardCharsets.US_ASCII).strip());
    release(ctrl);

    List<Pdu> ns = a.command(ADMIN_IDENTIFY, 1, SGL_TRANSPORT, 4096, CNS_NAMESPACE, 0, 0, null);
    byte[] nguid = new byte[16];
    ((Pdu.C2HData) ns.get(0)).data().getBytes(104, nguid);
    assertArrayEquals(uuidBytes, nguid, "NGUID");
    release(ns);

    List<Pdu> ids = a.command(ADMIN_IDENTIFY, 1, SGL_TRANSPORT, 4096, CNS_NS_DESCRIPTORS, 0, 0, null);
    ByteBuf d = ((Pdu.C2HData) ids.get(0)).data();
    boolean sawUuid = false;
    for (int at = 0; at < 4096 && d.getByte(at) != 0; at += 4 + d.getUnsignedByte(at + 1)) {
      byte[] v = new byte[d.getUnsignedByte(at + 1)];
      d.getBytes(at + 4, v);
      if (d.getByte(at) == 3) {
        assertArrayEquals(uuidBytes, v, "UUID descriptor");
        sawUuid = true;
      }
    }
    assertTrue(sawUuid, "no UUID namespace identification descriptor");
    release(ids);
  }
}
