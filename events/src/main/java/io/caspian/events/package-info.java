/** Vocabulary shared by the control plane, the io-engines and the public events: protocols, health, child states. */
package io.caspian.events;
