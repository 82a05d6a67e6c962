/** The Volume entity: the user's desired volume (size, replica count, topology) and what realises it. */
package io.caspian.control.entity.volume;
