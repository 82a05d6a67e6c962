/** The Node entity: an io-engine's registration, whether it is online (from cluster membership), and cordon. */
package io.caspian.control.entity.node;
