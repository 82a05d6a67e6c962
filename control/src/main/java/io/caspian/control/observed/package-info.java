/**
 * The io-engines as they really are: discovery through the Receptionist, their state reports (the "observed
 * state" that reconcilers compare with the entities), and {@link io.caspian.control.observed.IoEngineClient}, the
 * one way the control plane asks an io-engine to act.
 */
package io.caspian.control.observed;
