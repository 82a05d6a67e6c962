package io.caspian.control.bus;

/**
 * What a {@link BusConsumer} has done so far.
 *
 * @param applied events the sink applied
 * @param duplicates redelivered records recognised and skipped
 * @param failures sink calls that failed or timed out (each retried)
 * @param malformed records that were not a bus event, skipped
 */
public record ConsumerStats(long applied, long duplicates, long failures, long malformed) {}
