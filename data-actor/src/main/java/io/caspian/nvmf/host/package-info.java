/**
 * The NVMe/TCP initiator: {@link io.caspian.nvmf.host.NvmfDevice} is a {@link
 * io.caspian.bdev.BlockDevice} for {@code nvmf://host:port/nqn}, so a nexus can have remote
 * children. It keeps one association (admin queue plus I/O queues) to the target, sends
 * keep-alives, times out stuck I/O and reconnects after the connection drops.
 */
package io.caspian.nvmf.host;
