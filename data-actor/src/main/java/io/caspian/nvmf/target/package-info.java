/**
 * The NVMe/TCP target: exports block devices as NVMe subsystems (one namespace each) and serves
 * the discovery subsystem. {@link io.caspian.nvmf.target.NvmfTarget} is the entry point; each
 * connection is one queue driven by a {@link io.caspian.nvmf.target.QueueHandler}.
 */
package io.caspian.nvmf.target;
