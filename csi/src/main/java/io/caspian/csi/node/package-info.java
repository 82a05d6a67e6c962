/**
 * The CSI node plugin: runs privileged on the machine whose kernel attaches the volume. It connects the kernel's
 * NVMe/TCP initiator (or nbd) to the volume's target, makes a filesystem only on a device that has none, mounts it
 * at the staging path and bind-mounts it into pods. It keeps no state of its own except which nbd device serves
 * which volume: the kernel (sysfs, mountinfo) is the record of what is attached and mounted, so a plugin killed in
 * the middle of a call finds the truth there when the call is retried.
 *
 * <p>With {@code --api}, a {@link io.caspian.csi.node.PathAgent} follows failed-over targets: it reads each staged
 * NVMe/TCP volume's controller states in sysfs once a second, and when none is live asks the REST API where the
 * target is, connects the new address as another path of the same subsystem and drops the dead ones (see
 * docs/adr/path-agent.md). Its state is in memory only; restarted, it adopts the Caspian subsystems sysfs shows.
 */
package io.caspian.csi.node;
