/**
 * Block devices: the bottom layer of the io-engine (Mayastor's {@code bdev}).
 *
 * <p>{@link io.caspian.bdev.BlockDevice} is asynchronous, works on aligned direct buffers and
 * allocates nothing per I/O; devices are opened by URI through {@link
 * io.caspian.bdev.DeviceOpener}:
 *
 * <ul>
 *   <li>{@code malloc:///name?size_mb=N&blk_size=512|4096}: off-heap RAM disk, completes inline;
 *   <li>{@code aio:///path} and a bare {@code /dev/...} path: Linux native AIO on an
 *       {@code O_DIRECT} descriptor, one reaper thread per device however deep the queue; block
 *       devices are sized with {@code BLKGETSIZE64};
 *   <li>{@code uring:///path}: io_uring through raw syscalls and mmapped rings;
 *   <li>{@code file:///path}: io_uring where the kernel allows it, otherwise AIO.
 * </ul>
 *
 * <p>Layers above add schemes with {@link io.caspian.bdev.DeviceOpener#with}: {@code bdev:///}
 * for local replicas and {@code nvmf://} for remote ones. {@link
 * io.caspian.bdev.ErrorInjectionDevice} wraps any device and is the single mechanism for injected
 * faults. This package imports neither Pekko nor Kafka.
 */
package io.caspian.bdev;
