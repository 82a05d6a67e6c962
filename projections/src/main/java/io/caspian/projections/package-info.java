/**
 * Projections of the control plane's journal: {@link io.caspian.projections.Projections} starts them, one per entity
 * tag and kind, with offsets in the journal's database.
 */
package io.caspian.projections;
