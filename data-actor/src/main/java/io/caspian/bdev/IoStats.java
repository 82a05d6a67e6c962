package io.caspian.bdev;

/**
 * Cumulative I/O counts of a device since it was opened (see {@link IoCounters}).
 *
 * @param readLatencyUs the sum of the latencies of the reads counted, in microseconds
 * @param writeLatencyUs the sum of the latencies of the writes counted, in microseconds
 */
public record IoStats(long readOps, long bytesRead, long readLatencyUs, long writeOps,
    long bytesWritten, long writeLatencyUs) {

  public static final IoStats ZERO = new IoStats(0, 0, 0, 0, 0, 0);

  /** The counts of two devices together (a pool's replicas). */
  public IoStats plus(IoStats o) {
    return new IoStats(readOps + o.readOps, bytesRead + o.bytesRead,
        readLatencyUs + o.readLatencyUs, writeOps + o.writeOps, bytesWritten + o.bytesWritten,
        writeLatencyUs + o.writeLatencyUs);
  }
}
