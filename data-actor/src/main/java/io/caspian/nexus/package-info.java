/**
 * The nexus: a volume's front end on one node, itself a {@link io.caspian.bdev.BlockDevice}, that
 * mirrors writes to every writable child, reads round-robin from the in-sync ones, counts child
 * errors in a sliding window, and rebuilds children that fell behind.
 *
 * <p>Data safety rule (the invariant everything here serves): <b>a child that missed an
 * acknowledged write never serves a read until the segments it missed are copied back.</b> A
 * child that fails a write, write-zeroes or flush is faulted at once, before the write is
 * acknowledged, and from then on every write it misses is marked in its
 * {@link io.caspian.rebuild.SegmentMap}; when it comes back only those segments are copied (partial
 * rebuild) and it re-enters the read set only after they are.
 *
 * <p>Fencing: a nexus created with a generation ({@link io.caspian.nexus.NexusOptions#generation})
 * fences each remote child with it before the child takes a write ({@link
 * io.caspian.bdev.Fenceable}), and faults a child that answers Reservation Conflict at once, even
 * the last one ({@code FENCED}): a newer nexus has taken the volume over, and none of this one's
 * writes may land (docs/adr/nexus-fencing.md).
 */
package io.caspian.nexus;
