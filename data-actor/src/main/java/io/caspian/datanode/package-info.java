/**
 * The io-engine's actors: one {@link io.caspian.datanode.DataNode} per node, registered with the
 * Receptionist under {@code IoEngineProtocol.DATA_NODE}, with a child actor per pool and per nexus.
 * They execute the control plane's idempotent commands and report the node's actual state.
 *
 * <p>Actors own life cycle and state changes only. Storage calls that block (pool metadata writes,
 * nexus management that waits for writes in flight) run on a blocking dispatcher and come back to
 * the actor as a message; each child actor finishes one such change before it starts the next, so
 * its state changes stay serialized in its own mailbox. I/O never passes through a mailbox: hosts
 * reach nexuses and replicas through the NBD and NVMe/TCP servers' event loops directly.
 *
 * <p>Pools survive restarts through a node-local registry in the data directory; nexuses do not
 * (the control plane re-creates them from children it knows to be in sync).
 */
package io.caspian.datanode;
