/**
 * The NVMe/TCP target: exports block devices as NVMe subsystems (one namespace each) and serves
 * the discovery subsystem. {@link io.caspian.nvmf.target.NvmfTarget} is the entry point; each
 * connection is one queue driven by a {@link io.caspian.nvmf.target.QueueHandler}. Each
 * subsystem reports an Asymmetric Namespace Access state ({@link
 * io.caspian.nvmf.target.AnaState}, one ANA group per subsystem) that the control plane sets, so
 * that several targets exporting the same subsystem are paths of one multipath namespace on the
 * host (docs/adr/nvme-ana.md).
 */
package io.caspian.nvmf.target;
