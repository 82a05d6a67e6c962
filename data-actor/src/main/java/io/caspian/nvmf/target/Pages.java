package io.caspian.nvmf.target;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.IoType;
import io.caspian.nvmf.Nvme;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/**
 * The data structures admin commands return: Identify pages and log pages, laid out as the NVMe
 * base and Fabrics specs define them (little-endian, fixed offsets, space-padded ASCII).
 */
final class Pages {

  static final String MODEL = "Caspian NVMe/TCP";
  static final String FIRMWARE = "0.1";
  /** The IEEE OUI in Identify (a locally administered one: Caspian has no assigned OUI). */
  private static final int OUI = 0x02CA5B;
  static final int VERSION = 0x00010300;
  /** Async event requests a host may keep outstanding (0's based in AERL). */
  static final int AER_LIMIT = 4;

  private Pages() {}

  static ByteBuf identifyController(ByteBufAllocator alloc, Controller c, TargetConfig cfg,
      int queueEntries) {
    ByteBuf b = alloc.heapBuffer(4096).writeZero(4096);
    Subsystem s = c.subsystem;
    b.setShortLE(0, 0x1D1D).setShortLE(2, 0x1D1D);
    ascii(b, 4, 20, c.discovery() ? "discovery" : s.serial());
    ascii(b, 24, 40, c.discovery() ? MODEL : s.model());
    ascii(b, 64, 8, FIRMWARE);
    b.setByte(72, 6);
    b.setMediumLE(73, OUI);
    // CMIC: multiple ports and controllers, ANA reporting (bit 3), so that Linux joins the paths
    // of one subsystem (Caspian's targets on several nodes) into one multipath namespace.
    b.setByte(76, c.discovery() ? 0 : CMIC_MULTI_PORT_CTRL_ANA);
    b.setByte(77, c.discovery() ? 0 : cfg.mdtsShift());
    b.setShortLE(78, c.cntlid);
    b.setIntLE(80, VERSION);
    b.setIntLE(92, c.discovery() ? 0 : 1 << 8 | Nvme.AEN_CFG_ANA_CHANGE);
    b.setByte(111, c.discovery() ? 2 : 1);
    if (!c.discovery()) {
      uuid(b, 112, s.uuid());
    }
    b.setByte(258, 3);
    b.setByte(259, AER_LIMIT - 1);
    b.setByte(260, 0x03);
    b.setByte(261, 0x04);
    b.setShortLE(266, 0x157).setShortLE(268, 0x175);
    b.setShortLE(320, 10);
    if (!c.discovery()) {
      ana(b);
    }
    b.setByte(512, 0x66).setByte(513, 0x44);
    b.setShortLE(514, queueEntries);
    if (!c.discovery()) {
      b.setIntLE(516, 1);
      b.setShortLE(520, 0x0C | Nvme.ONCS_RESERVATIONS);
      b.setByte(525, 1);
      b.setShortLE(530, 1);
      b.setIntLE(536, 0x100001);
    } else {
      b.setIntLE(536, 0x000001);
    }
    ascii0(b, 768, 256, c.nqn());
    b.setIntLE(1792, (cfg.inCapsuleBytes() + 64) / 16);
    b.setIntLE(1796, 1);
    b.setByte(1803, 1);
    return b;
  }

  static ByteBuf identifyNamespace(ByteBufAllocator alloc, Subsystem s) {
    ByteBuf b = alloc.heapBuffer(4096).writeZero(4096);
    BlockDevice d = s.device();
    long blocks = d.blockCount();
    b.setLongLE(0, blocks).setLongLE(8, blocks).setLongLE(16, blocks);
    b.setByte(24, d.supports(IoType.UNMAP) ? 1 : 0);
    b.setByte(30, 1); // NMIC: shared, so the paths of several targets are one namespace
    b.setIntLE(92, Subsystem.ANA_GROUP);
    // RESCAP: Write Exclusive (bit 1) and Write Exclusive - Registrants Only (bit 3); persist
    // through power loss (bit 0) is not claimed: the target persists when its owner gives it a
    // store (see Subsystem.persistReservations), which a host cannot ask for.
    b.setByte(31, 0x02 | 0x08);
    b.setLongLE(48, d.size());
    uuid(b, 104, s.uuid());
    b.setIntLE(128, Integer.numberOfTrailingZeros(d.blockSize()) << 16);
    return b;
  }

  static ByteBuf activeNamespaces(ByteBufAllocator alloc, int afterNsid) {
    ByteBuf b = alloc.heapBuffer(4096).writeZero(4096);
    if (Integer.compareUnsigned(afterNsid, 1) < 0) {
      b.setIntLE(0, 1);
    }
    return b;
  }

  static ByteBuf namespaceDescriptors(ByteBufAllocator alloc, Subsystem s) {
    ByteBuf b = alloc.heapBuffer(4096).writeZero(4096);
    b.setByte(0, 2).setByte(1, 16);
    uuid(b, 4, s.uuid());
    b.setByte(20, 3).setByte(21, 16);
    uuid(b, 24, s.uuid());
    return b;
  }

  /** The SMART / health log: no media wear to report, a plausible temperature. */
  static ByteBuf smartLog(ByteBufAllocator alloc) {
    ByteBuf b = alloc.heapBuffer(512).writeZero(512);
    b.setShortLE(1, 296);
    b.setByte(3, 100);
    b.setByte(4, 10);
    return b;
  }

  /** An error log with no entries (all zero, as an empty log is). */
  static ByteBuf errorLog(ByteBufAllocator alloc) {
    return alloc.heapBuffer(64).writeZero(64);
  }

  /** One discovery log entry per I/O subsystem the host may connect to. */
  static ByteBuf discoveryLog(ByteBufAllocator alloc, long genctr, List<String> nqns,
      String traddr, int port) {
    int n = nqns.size();
    ByteBuf b = alloc.heapBuffer(1024 * (n + 1)).writeZero(1024 * (n + 1));
    b.setLongLE(0, genctr).setLongLE(8, n).setShortLE(16, 0);
    for (int i = 0; i < n; i++) {
      int e = 1024 * (i + 1);
      b.setByte(e, 3);
      b.setByte(e + 1, traddr.contains(":") ? 2 : 1);
      b.setByte(e + 2, 2);
      b.setByte(e + 3, 0);
      b.setShortLE(e + 4, 1);
      b.setShortLE(e + 6, 0xFFFF);
      b.setShortLE(e + 8, 32);
      ascii0(b, e + 32, 32, Integer.toString(port));
      ascii0(b, e + 256, 256, nqns.get(i));
      ascii0(b, e + 512, 256, traddr);
    }
    return b;
  }

  // ------------------------------------------------------------------ ANA

  /** CMIC bits 0, 1 and 3: multi-port, multi-controller, ANA reporting. */
  static final int CMIC_MULTI_PORT_CTRL_ANA = 0x0B;
  /** ANA transition time in seconds: how long a host waits for a path in state CHANGE. */
  static final int ANATT_S = 10;
  /** ANACAP: every state reportable (bits 0-4), and ANAGRPID stays while attached (bit 6). */
  static final int ANACAP = 0x5F;
  private static final int ANA_HEADER = 16;
  private static final int ANA_DESCRIPTOR = 32;

  /**
   * The Identify Controller fields of ANA: ANATT (byte 342), ANACAP (343), ANAGRPMAX (344-347),
   * NANAGRPID (348-351), MNAN (540-543); offsets as in NVMe 1.4 figure 247 and Linux's struct
   * nvme_id_ctrl (a first version one byte off still worked with Linux, by luck: see the ADR).
   */
  private static void ana(ByteBuf b) {
    b.setByte(342, ANATT_S);
    b.setByte(343, ANACAP);
    b.setIntLE(344, Subsystem.ANA_GROUP);
    b.setIntLE(348, Subsystem.ANA_GROUP);
    // MNAN: Linux refuses ANA when it is 0 or above NN, and sizes its ANA log buffer by it.
    b.setIntLE(540, 1);
  }

  /**
   * The ANA log page: one group descriptor (group 1, namespace 1) in the subsystem's state; with
   * {@code rgo} (Return Groups Only) the descriptor lists no namespaces.
   */
  static ByteBuf anaLog(ByteBufAllocator alloc, Subsystem s, boolean rgo) {
    Subsystem.Ana a = s.ana();
    int nsids = rgo ? 0 : 1;
    int len = ANA_HEADER + ANA_DESCRIPTOR + 4 * nsids;
    ByteBuf b = alloc.heapBuffer(len).writeZero(len);
    b.setLongLE(0, a.changeCount());
    b.setShortLE(8, 1);
    int d = ANA_HEADER;
    b.setIntLE(d, Subsystem.ANA_GROUP);
    b.setIntLE(d + 4, nsids);
    b.setLongLE(d + 8, a.changeCount());
    b.setByte(d + 16, a.state().wireValue());
    if (!rgo) {
      b.setIntLE(d + ANA_DESCRIPTOR, 1);
    }
    return b;
  }

  private static void ascii(ByteBuf b, int at, int len, String s) {
    byte[] v = s.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < len; i++) {
      b.setByte(at + i, i < v.length ? v[i] : ' ');
    }
  }

  private static void ascii0(ByteBuf b, int at, int len, String s) {
    byte[] v = s.getBytes(StandardCharsets.UTF_8);
    b.setBytes(at, v, 0, Math.min(v.length, len - 1));
  }

  private static void uuid(ByteBuf b, int at, UUID u) {
    b.setLong(at, u.getMostSignificantBits()).setLong(at + 8, u.getLeastSignificantBits());
  }
}
