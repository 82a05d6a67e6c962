package io.caspian.rebuild;

import java.time.Instant;

/**
 * Progress of a rebuild job at one moment.
 *
 * @param blocksTotal blocks the job has to copy (for a partial rebuild: the dirty segments only)
 * @param blocksRecovered blocks copied or found unallocated on the source so far
 * @param blocksRemaining blocks still to do
 * @param percent recovered share of total, 0 to 100
 * @param tasksActive segment copies in flight
 * @param startTime when the job started copying
 * @param bytesPerSecond average copy rate since the start
 */
public record RebuildStats(long blocksTotal, long blocksRecovered, long blocksRemaining,
    int percent, int tasksActive, Instant startTime, long bytesPerSecond) {}
