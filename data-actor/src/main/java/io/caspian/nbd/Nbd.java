package io.caspian.nbd;

import io.caspian.bdev.BdevException;

/** Numbers from the NBD protocol (doc/proto.md of NetworkBlockDevice/nbd). */
final class Nbd {

  private Nbd() {}

  static final long NBDMAGIC = 0x4e42444d41474943L;
  static final long IHAVEOPT = 0x49484156454F5054L;
  static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;
  static final int REQUEST_MAGIC = 0x25609513;
  static final int SIMPLE_REPLY_MAGIC = 0x67446698;
  static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;

  // handshake flags (server) and client flags
  static final int FLAG_FIXED_NEWSTYLE = 1;
  static final int FLAG_NO_ZEROES = 2;
  static final int CLIENT_FLAGS_KNOWN = FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES;

  // transmission flags
  static final int FLAG_HAS_FLAGS = 1;
  static final int FLAG_READ_ONLY = 1 << 1;
  static final int FLAG_SEND_FLUSH = 1 << 2;
  static final int FLAG_SEND_FUA = 1 << 3;
  static final int FLAG_SEND_TRIM = 1 << 5;
  static final int FLAG_SEND_WRITE_ZEROES = 1 << 6;
  static final int FLAG_SEND_DF = 1 << 7;
  static final int FLAG_CAN_MULTI_CONN = 1 << 8;

  // options
  static final int OPT_EXPORT_NAME = 1;
  static final int OPT_ABORT = 2;
  static final int OPT_LIST = 3;
  static final int OPT_INFO = 6;
  static final int OPT_GO = 7;
  static final int OPT_STRUCTURED_REPLY = 8;
  static final int OPT_LIST_META_CONTEXT = 9;
  static final int OPT_SET_META_CONTEXT = 10;

  // option replies
  static final int REP_ACK = 1;
  static final int REP_SERVER = 2;
  static final int REP_INFO = 3;
  static final int REP_META_CONTEXT = 4;
  static final int REP_ERR_UNSUP = 0x80000001;
  static final int REP_ERR_INVALID = 0x80000003;
  static final int REP_ERR_UNKNOWN = 0x80000006;
  static final int REP_ERR_TOO_BIG = 0x80000009;

  // NBD_INFO types
  static final int INFO_EXPORT = 0;
  static final int INFO_NAME = 1;
  static final int INFO_BLOCK_SIZE = 3;

  // commands
  static final int CMD_READ = 0;
  static final int CMD_WRITE = 1;
  static final int CMD_DISC = 2;
  static final int CMD_FLUSH = 3;
  static final int CMD_TRIM = 4;
  static final int CMD_WRITE_ZEROES = 6;
  static final int CMD_BLOCK_STATUS = 7;

  // command flags
  static final int CMD_FLAG_FUA = 1;
  static final int CMD_FLAG_NO_HOLE = 1 << 1;
  static final int CMD_FLAG_DF = 1 << 2;
  static final int CMD_FLAG_REQ_ONE = 1 << 3;

  // structured reply
  static final int REPLY_FLAG_DONE = 1;
  static final int REPLY_TYPE_NONE = 0;
  static final int REPLY_TYPE_OFFSET_DATA = 1;
  static final int REPLY_TYPE_BLOCK_STATUS = 5;
  static final int REPLY_TYPE_ERROR = 0x8001;

  // the base:allocation metadata context: the one context this server offers, with a fixed id
  static final String BASE_ALLOCATION = "base:allocation";
  static final int BASE_ALLOCATION_ID = 1;
  static final int STATE_HOLE = 1;
  static final int STATE_ZERO = 2;

  // errors
  static final int EPERM = 1;
  static final int EIO = 5;
  static final int EINVAL = 22;
  static final int ENOSPC = 28;
  static final int EOVERFLOW = 75;
  static final int ESHUTDOWN = 108;

  /** Option data beyond this is refused; export names are at most 4096 bytes. */
  static final int MAX_OPTION_LENGTH = 64 * 1024;

  /** Largest READ or WRITE payload accepted; the spec's interoperable maximum. */
  static final int MAX_PAYLOAD = 32 * 1024 * 1024;

  /** Preferred block size advertised in NBD_INFO_BLOCK_SIZE (at least the device's). */
  static final int PREFERRED_BLOCK = 4096;

  /** The NBD error number for a failed device I/O. */
  static int errno(BdevException e, int command) {
    return switch (e.kind()) {
      case OUT_OF_RANGE -> command == CMD_WRITE || command == CMD_WRITE_ZEROES ? ENOSPC : EINVAL;
      case INVALID, NOT_SUPPORTED -> EINVAL;
      case NO_SPACE -> ENOSPC;
      case CLOSED -> ESHUTDOWN;
      case RESERVATION_CONFLICT -> EIO; // the kernel's own choice for a fenced SCSI/NVMe write
      default -> EIO;
    };
  }

  static String commandName(int type) {
    return switch (type) {
      case CMD_READ -> "READ";
      case CMD_WRITE -> "WRITE";
      case CMD_DISC -> "DISC";
      case CMD_FLUSH -> "FLUSH";
      case CMD_TRIM -> "TRIM";
      case CMD_WRITE_ZEROES -> "WRITE_ZEROES";
      case CMD_BLOCK_STATUS -> "BLOCK_STATUS";
      default -> "command " + type;
    };
  }
}
