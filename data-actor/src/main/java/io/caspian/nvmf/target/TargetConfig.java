package io.caspian.nvmf.target;

/**
 * Limits a target advertises and enforces.
 *
 * @param mdtsShift maximum data transfer size as a power of two of 4 KiB pages (MDTS)
 * @param maxQueueEntries the largest queue a host may create (CAP.MQES + 1)
 * @param inCapsuleBytes in-capsule data an I/O command may carry (IOCCSZ minus the SQE)
 * @param maxH2cData the most data one H2CData PDU may carry
 * @param maxIoQueues I/O queues per controller
 * @param headerDigest whether a host asking for header digests gets them
 * @param dataDigest whether a host asking for data digests gets them
 */
public record TargetConfig(int mdtsShift, int maxQueueEntries, int inCapsuleBytes, int maxH2cData,
    int maxIoQueues, boolean headerDigest, boolean dataDigest) {

  /** In-capsule data on the admin queue: the Linux host may send up to 8 KiB there. */
  static final int ADMIN_IN_CAPSULE = 8192;

  public static TargetConfig defaults() {
    return new TargetConfig(6, 1024, 8192, 128 * 1024, 16, true, true);
  }

  public TargetConfig {
    if (mdtsShift < 1 || mdtsShift > 8) {
      throw new IllegalArgumentException("mdtsShift must be 1..8 (8 KiB..1 MiB), not " + mdtsShift);
    }
    if (maxQueueEntries < 2 || maxQueueEntries > 4096) {
      throw new IllegalArgumentException("maxQueueEntries must be 2..4096, not " + maxQueueEntries);
    }
    if (inCapsuleBytes < 0 || inCapsuleBytes % 16 != 0 || inCapsuleBytes > 65536) {
      throw new IllegalArgumentException("inCapsuleBytes must be a multiple of 16 up to 64 KiB");
    }
    if (maxH2cData < 4096 || maxH2cData % 4096 != 0) {
      throw new IllegalArgumentException("maxH2cData must be a multiple of 4096");
    }
  }

  public int mdtsBytes() {
    return 4096 << mdtsShift;
  }

  /** The most data any received PDU may carry. */
  int maxPduData() {
    return Math.max(Math.max(inCapsuleBytes, ADMIN_IN_CAPSULE), maxH2cData);
  }
}
