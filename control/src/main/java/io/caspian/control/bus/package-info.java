/**
 * The control plane's side of the bus: {@link io.caspian.control.bus.BusConsumer} reads the io-engines' fault,
 * error-count and rebuild records in a consumer group, drops redeliveries and hands each event to a
 * {@link io.caspian.control.bus.BusSink} (the Nexus / Volume entities), committing offsets only once the sink has
 * persisted.
 */
package io.caspian.control.bus;
