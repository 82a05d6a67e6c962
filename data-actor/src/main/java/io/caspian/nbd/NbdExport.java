package io.caspian.nbd;

import io.caspian.bdev.BlockDevice;
import io.netty.channel.group.ChannelGroup;

/**
 * One exported device: its name, whether clients may write, and what all connections to it share
 * (the write gate, and the channels to close when the export is removed).
 */
final class NbdExport {

  private final String name;
  private final BlockDevice device;
  private final boolean readOnly;
  private final WriteGate gate = new WriteGate();
  private final ChannelGroup channels;

  NbdExport(String name, BlockDevice device, boolean readOnly, ChannelGroup channels) {
    this.name = name;
    this.device = device;
    this.readOnly = readOnly;
    this.channels = channels;
  }

  String name() {
    return name;
  }

  BlockDevice device() {
    return device;
  }

  boolean readOnly() {
    return readOnly;
  }

  WriteGate gate() {
    return gate;
  }

  ChannelGroup channels() {
    return channels;
  }

  /**
   * Transmission flags. Every device is coherent across connections (all of them submit to the
   * same {@link BlockDevice}, which has no per-connection cache), hence CAN_MULTI_CONN; DF only with
   * structured replies, where a read is always answered with a single data chunk anyway.
   */
  int transmissionFlags(boolean structured) {
    int flags = Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_SEND_FLUSH | Nbd.FLAG_CAN_MULTI_CONN;
    if (readOnly) {
      flags |= Nbd.FLAG_READ_ONLY;
    } else {
      flags |= Nbd.FLAG_SEND_FUA | Nbd.FLAG_SEND_TRIM | Nbd.FLAG_SEND_WRITE_ZEROES;
    }
    if (structured) {
      flags |= Nbd.FLAG_SEND_DF;
    }
    return flags;
  }

  /**
   * The preferred block size for NBD_INFO_BLOCK_SIZE. The minimum advertised is 1: the server
   * turns unaligned requests into read-modify-write, and clients such as libnbd refuse to send
   * anything finer than an advertised minimum.
   */
  int preferredBlockSize() {
    return Math.max(Nbd.PREFERRED_BLOCK, device.blockSize());
  }
}
