/** The Replica entity: a replica the control plane placed in a pool for a volume, its share and its health. */
package io.caspian.control.entity.replica;
