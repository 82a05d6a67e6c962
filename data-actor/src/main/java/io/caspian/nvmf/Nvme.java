package io.caspian.nvmf;

/** NVMe base and Fabrics constants the target and the host share (NVMe 1.4 / NVMe-oF 1.1). */
public final class Nvme {

  private Nvme() {}

  public static final String DISCOVERY_NQN = "nqn.2014-08.org.nvmexpress.discovery";
  public static final String NQN_PREFIX = "nqn.2019-05.io.caspian:";

  // Opcodes.
  public static final int FABRICS = 0x7F;
  public static final int FCTYPE_PROPERTY_SET = 0x00;
  public static final int FCTYPE_CONNECT = 0x01;
  public static final int FCTYPE_PROPERTY_GET = 0x04;

  public static final int ADMIN_GET_LOG_PAGE = 0x02;
  public static final int ADMIN_IDENTIFY = 0x06;
  public static final int ADMIN_ABORT = 0x08;
  public static final int ADMIN_SET_FEATURES = 0x09;
  public static final int ADMIN_GET_FEATURES = 0x0A;
  public static final int ADMIN_ASYNC_EVENT = 0x0C;
  public static final int ADMIN_KEEP_ALIVE = 0x18;

  public static final int IO_FLUSH = 0x00;
  public static final int IO_WRITE = 0x01;
  public static final int IO_READ = 0x02;
  public static final int IO_WRITE_ZEROES = 0x08;
  public static final int IO_DSM = 0x09;
  // Reservations (NVMe base spec 1.4, 8.8 and 6.10-6.13); see target.Reservations.
  public static final int IO_RESV_REGISTER = 0x0D;
  public static final int IO_RESV_REPORT = 0x0E;
  public static final int IO_RESV_ACQUIRE = 0x11;
  public static final int IO_RESV_RELEASE = 0x15;
  /** Reservation types (RTYPE). */
  public static final int RTYPE_WRITE_EXCLUSIVE = 1;
  public static final int RTYPE_WRITE_EXCLUSIVE_REG_ONLY = 3;
  /** Identify Controller ONCS bit 5: the controller supports reservations. */
  public static final int ONCS_RESERVATIONS = 0x20;

  // Identify CNS values.
  public static final int CNS_NAMESPACE = 0x00;
  public static final int CNS_CONTROLLER = 0x01;
  public static final int CNS_ACTIVE_NS_LIST = 0x02;
  public static final int CNS_NS_DESCRIPTORS = 0x03;

  // Log pages.
  public static final int LOG_ERROR = 0x01;
  public static final int LOG_SMART = 0x02;
  public static final int LOG_DISCOVERY = 0x70;

  // Features.
  public static final int FEAT_VOLATILE_WC = 0x06;
  public static final int FEAT_NUM_QUEUES = 0x07;
  public static final int FEAT_ASYNC_EVENT = 0x0B;
  public static final int FEAT_KATO = 0x0F;

  // Properties (controller registers).
  public static final int PROP_CAP = 0x00;
  public static final int PROP_VS = 0x08;
  public static final int PROP_CC = 0x14;
  public static final int PROP_CSTS = 0x1C;

  // SGL descriptor identifiers (type << 4 | subtype).
  public static final int SGL_INCAPSULE = 0x01;
  public static final int SGL_TRANSPORT = 0x5A;

  // Status values (SCT << 8 | SC), as in Pdu.CapsuleResp.status.
  public static final int SC_SUCCESS = 0x00;
  public static final int SC_INVALID_OPCODE = 0x01;
  public static final int SC_INVALID_FIELD = 0x02;
  public static final int SC_INTERNAL = 0x06;
  public static final int SC_INVALID_NS = 0x0B;
  public static final int SC_CMD_SEQ_ERROR = 0x0C;
  public static final int SC_SGL_INVALID_DATA = 0x0D;
  public static final int SC_SGL_INVALID_TYPE = 0x11;
  public static final int SC_LBA_RANGE = 0x80;
  public static final int SC_CAP_EXCEEDED = 0x81;
  public static final int SC_NS_NOT_READY = 0x82;
  public static final int SC_RESERVATION_CONFLICT = 0x83;
  public static final int SC_CONNECT_INVALID_PARAM = 0x182;
  public static final int SC_CONNECT_INVALID_HOST = 0x184;
  public static final int SC_WRITE_FAULT = 0x280;
  public static final int SC_READ_ERROR = 0x281;
  public static final int DNR = 0x4000;

  // Asymmetric Namespace Access (NVMe 1.4 section 8.20), grouped here for the target's ANA support.
  /** The ANA log page (Get Log Page LID). */
  public static final int LOG_ANA = 0x0C;
  /** Get Log Page LSP bit 0 (CDW10 bit 8) for the ANA log: return groups only, no NSID lists. */
  public static final int LOG_ANA_RGO = 1 << 8;
  /** Get Log Page CDW10 bit 15: retain the asynchronous event (do not clear it by this read). */
  public static final int LOG_RAE = 1 << 15;
  /** Async Event Configuration (Set Features 0Bh) and OAES bit for ANA change notices. */
  public static final int AEN_CFG_ANA_CHANGE = 1 << 11;
  /** Async event completion dword 0: type 2 (notice), info 03h (ANA change), log page 0Ch. */
  public static final int AEN_ANA_CHANGE = LOG_ANA << 16 | 0x03 << 8 | 0x02;
  /** Path-related status (SCT 3) of a command to a namespace its ANA state does not serve. */
  public static final int SC_ANA_PERSISTENT_LOSS = 0x301;
  public static final int SC_ANA_INACCESSIBLE = 0x302;
  public static final int SC_ANA_TRANSITION = 0x303;
  /** Async Event Request completed with "Asynchronous Event Request Limit Exceeded". */
  public static final int SC_AER_LIMIT = 0x105;

  /** An UUID-style NQN for a device of this uuid. */
  public static String nqnFor(java.util.UUID uuid) {
    return NQN_PREFIX + uuid;
  }
}
