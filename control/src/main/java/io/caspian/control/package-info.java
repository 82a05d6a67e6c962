/** The control plane: {@link io.caspian.control.ControlPlane} starts the entities, reconcilers and REST API. */
package io.caspian.control;
