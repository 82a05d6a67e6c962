/**
 * The NVMe/TCP target: exports block devices as NVMe subsystems (one namespace each) and serves
 * the discovery subsystem. {@link io.caspian.nvmf.target.NvmfTarget} is the entry point; each
 * connection is one queue driven by a {@link io.caspian.nvmf.target.QueueHandler}. Each
 * subsystem reports an Asymmetric Namespace Access state ({@link
 * io.caspian.nvmf.target.AnaState}, one ANA group per subsystem) that the control plane sets, so
 * that several targets exporting the same subsystem are paths of one multipath namespace on the
 * host (docs/adr/nvme-ana.md).
 *
 * <p>Each namespace keeps NVMe reservations ({@link io.caspian.nvmf.target.Reservations}:
 * Register, Acquire, Release, Report; Write Exclusive and Write Exclusive - Registrants Only),
 * with Caspian's fencing rule that a preempt needs a greater key than the one it preempts, so a
 * superseded nexus can never take a replica back. Writes, Write Zeroes and Deallocate from a
 * host the reservation excludes get Reservation Conflict; the check is one volatile read. A
 * {@link io.caspian.nvmf.target.ReservationStore} makes them outlive the target (see
 * docs/adr/nexus-fencing.md).
 */
package io.caspian.nvmf.target;
