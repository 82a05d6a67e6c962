package io.caspian.pool;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Recognises what a disk already holds from the bytes at its start (and its last blocks), so that
 * pool create can name it when it refuses. The offsets are those the file systems and volume
 * managers themselves write (as util-linux's libblkid probes them): a disk carrying one of these
 * is someone's data even where it happens to be zero in the area the pool format would write.
 */
final class DiskSignatures {

  /** Bytes from the start of the disk that {@link #atStart} looks at: btrfs's at 64 KiB + 64. */
  static final int HEAD = 72 << 10;

  private static final byte[] GPT = ascii("EFI PART");
  private static final byte[] XFS = ascii("XFSB");
  private static final byte[] BTRFS = ascii("_BHRfS_M");
  private static final byte[] LVM_LABEL = ascii("LABELONE");
  private static final byte[] LVM_TYPE = ascii("LVM2 001");
  private static final byte[] SWAP2 = ascii("SWAPSPACE2");
  private static final byte[] SWAP1 = ascii("SWAP-SPACE");

  private DiskSignatures() {}

  /**
   * What the first {@code min(HEAD, head.limit())} bytes of a disk say it holds, if anything.
   * {@code head} is read from offset 0 by absolute index; its position is not used.
   */
  static Optional<String> atStart(ByteBuffer head) {
    if (Superblock.hasMagic(head)) {
      return Optional.of("a Caspian pool");
    }
    // GPT first: a GPT disk also carries a protective MBR.
    if (has(head, 512, GPT) || has(head, 4096, GPT)) {
      return Optional.of("a GPT partition table");
    }
    if (has(head, 0, XFS)) {
      return Optional.of("an xfs file system");
    }
    // ext2/3/4: s_magic 0xEF53 (little-endian) at 0x38 in the superblock at 1 KiB.
    if (byteAt(head, 1024 + 0x38) == 0x53 && byteAt(head, 1024 + 0x39) == (byte) 0xEF) {
      return Optional.of("an ext2/ext3/ext4 file system");
    }
    if (has(head, (64 << 10) + 0x40, BTRFS)) {
      return Optional.of("a btrfs file system");
    }
    // An LVM2 physical volume label sits in one of the first four 512-byte sectors.
    for (int sector = 0; sector < 4; sector++) {
      if (has(head, sector * 512, LVM_LABEL) && has(head, sector * 512 + 24, LVM_TYPE)) {
        return Optional.of("an LVM2 physical volume");
      }
    }
    // Swap: the magic ends the first page, whatever the page size of the machine that made it.
    for (int page = 4096; page <= 65536; page <<= 1) {
      if (has(head, page - 10, SWAP2) || has(head, page - 10, SWAP1)) {
        return Optional.of("a swap area");
      }
    }
    if (byteAt(head, 510) == 0x55 && byteAt(head, 511) == (byte) 0xAA) {
      return Optional.of("an MBR (DOS) partition table or boot sector");
    }
    return Optional.empty();
  }

  /**
   * Whether the last 4 KiB of a disk (in {@code tail}, read from {@code size - 4096}) hold a GPT
   * backup header: a disk whose primary table was wiped still has its partitions there.
   */
  static Optional<String> atEnd(ByteBuffer tail) {
    int n = tail.limit();
    if (has(tail, n - 512, GPT) || has(tail, n - 4096, GPT)) {
      return Optional.of("a GPT partition table (backup header in the last block)");
    }
    return Optional.empty();
  }

  private static boolean has(ByteBuffer b, int at, byte[] magic) {
    if (at < 0 || at + magic.length > b.limit()) {
      return false;
    }
    for (int i = 0; i < magic.length; i++) {
      if (b.get(at + i) != magic[i]) {
        return false;
      }
    }
    return true;
  }

  private static byte byteAt(ByteBuffer b, int at) {
    return at < b.limit() ? b.get(at) : 0;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
