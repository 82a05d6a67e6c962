package io.caspian.nvmf.target;

/**
 * What a scrape sees of one exported subsystem at one moment.
 *
 * @param connections TCP connections of hosts' controllers to it: each admin and I/O queue is one
 * @param inFlight commands received on its I/O queues and not yet answered (queue depth)
 */
public record SubsystemStats(String nqn, int connections, int inFlight) {
}
