/**
 * The io-engine's side of the bus: {@link io.caspian.datanode.bus.BusPublisher} listens to nexuses and publishes
 * their fault, error-count and rebuild events to Kafka without ever blocking the nexus, buffering them while the
 * broker is away (error counts coalesced, fault and rebuild events kept).
 */
package io.caspian.datanode.bus;
