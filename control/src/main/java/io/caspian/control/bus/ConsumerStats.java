package io.caspian.control.bus;

/**
 * What a {@link BusConsumer} has done so far.
 *
 * @param applied events the sink applied
 * @param duplicates redelivered records recognised and skipped
 * @param failures sink calls that failed or timed out (each retried)
 * @param malformed records that were not a bus event, skipped
 * @param lag records not yet applied as of the last poll: the batch it returned and those past it (0 before any)
 */
public record ConsumerStats(long applied, long duplicates, long failures, long malformed, long lag) {}
