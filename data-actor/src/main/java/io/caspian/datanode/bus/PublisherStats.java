package io.caspian.datanode.bus;

/**
 * What a {@link BusPublisher} has done so far. {@code accepted} = {@code delivered + coalesced + dropped + queued +
 * inFlight}, give or take a moment.
 *
 * @param accepted events taken from nexuses (and progress checkpoints made)
 * @param delivered records the broker acknowledged
 * @param coalesced error counts and progress checkpoints replaced by a newer one of the same child while queued
 * @param dropped error counts dropped because the error-count buffer was full
 * @param queued events waiting for the sender
 * @param orderedQueued of those, fault and rebuild events (never dropped)
 * @param orderedHighWater the most fault and rebuild events that have waited at once
 * @param inFlight records handed to the producer and not yet acknowledged
 */
public record PublisherStats(long accepted, long delivered, long coalesced, long dropped, int queued,
    int orderedQueued, int orderedHighWater, int inFlight) {}
