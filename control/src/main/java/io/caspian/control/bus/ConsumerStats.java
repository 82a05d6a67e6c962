package io.caspian.control.bus;

/**
 * What a {@link BusConsumer} has done so far.
 *
 * @param applied events the sink applied
 * @param duplicates redelivered records recognised and skipped
 * @param failures sink calls that failed or timed out (each retried)
 * @param malformed records that were not a bus event, skipped
 * @param lag records on the consumer's partitions past its position, as of its last poll (0 before it has any)
 */
public record ConsumerStats(long applied, long duplicates, long failures, long malformed, long lag) {}
