package io.caspian.rebuild;

import java.time.Instant;

/**
 * A finished rebuild job, as kept in a nexus's history.
 *
 * @param destination URI of the child that was rebuilt
 * @param source URI of the child last copied from
 * @param partial whether only segments written while the child was away were copied
 * @param cause why the job failed or stopped; null when it completed
 */
public record RebuildRecord(String destination, String source, boolean partial,
    RebuildState state, RebuildStats stats, String cause, Instant endTime) {}
