/**
 * The NVMe/TCP initiator: {@link io.caspian.nvmf.host.NvmfDevice} is a {@link
 * io.caspian.bdev.BlockDevice} for {@code nvmf://host:port/nqn}, so a nexus can have remote
 * children. It keeps one association (admin queue plus I/O queues) to the target, sends
 * keep-alives, times out stuck I/O and reconnects after the connection drops. It registers,
 * acquires, preempts, releases and reports NVMe reservations, and {@link
 * io.caspian.nvmf.host.NvmfDevice#fence} does all of it for a nexus generation; a write the target
 * refuses with Reservation Conflict completes with {@link
 * io.caspian.bdev.BdevException.Kind#RESERVATION_CONFLICT}.
 */
package io.caspian.nvmf.host;
