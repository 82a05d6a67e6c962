/** Placement decisions: which pools get a volume's replicas, which node runs its nexus. Pure functions, no actors. */
package io.caspian.control.scheduler;
