package io.caspian.nbd;

/**
 * What a scrape sees of one NBD export at one moment.
 *
 * @param connections clients in transmission on it
 * @param inFlight requests received and not yet answered, over all its connections (queue depth)
 */
public record NbdExportStats(String name, int connections, int inFlight) {
}
