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
 */
package io.caspian.nexus;
