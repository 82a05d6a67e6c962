/**
 * The read model: a projection of the journal that keeps one row per live node, pool, replica, nexus and volume
 * (the entity's state, folded from its events by the entity's own event handler) in the journal's database.
 * Listings, the reconciler's sweep and the scheduler read it; the entities stay the write side. A listing waits,
 * bounded, until the projection has passed every event journaled before it began (read-your-writes); see
 * {@code docs/adr/read-model.md}.
 */
package io.caspian.control.readmodel;
