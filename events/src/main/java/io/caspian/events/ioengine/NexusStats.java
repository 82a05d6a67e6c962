package io.caspian.events.ioengine;

/**
 * The cumulative front-end I/O counts of a nexus since it was opened on its io-engine (a restart starts them
 * again from zero).
 *
 * @param readLatencyUs the sum of the latencies of the reads counted, in microseconds
 * @param writeLatencyUs the sum of the latencies of the writes counted, in microseconds
 */
public record NexusStats(String nexus, long readOps, long bytesRead, long readLatencyUs, long writeOps,
                         long bytesWritten, long writeLatencyUs) {
}
