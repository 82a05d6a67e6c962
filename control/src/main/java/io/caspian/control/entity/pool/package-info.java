/** The Pool entity: a disk on a node that the user asked to be a pool, and its health. */
package io.caspian.control.entity.pool;
