/**
 * Block devices: the bottom layer of the io-engine (Mayastor's {@code bdev}).
 *
 * <p>{@link io.caspian.bdev.BlockDevice} is asynchronous, works on aligned direct buffers and
 * allocates nothing per I/O; devices are opened by URI through {@link
 * io.caspian.bdev.DeviceOpener}. {@link io.caspian.bdev.ErrorInjectionDevice} wraps any device
 * and is the single mechanism for injected faults. This package imports neither Pekko nor Kafka.
 */
package io.caspian.bdev;
