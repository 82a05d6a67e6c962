/**
 * Rebuild: copying a healthy child of a nexus onto a new or out-of-sync one while front-end I/O
 * carries on (Mayastor's {@code rebuild} module).
 *
 * <p>A {@link io.caspian.rebuild.SegmentMap} says which 64 KiB segments a destination still
 * lacks; a {@link io.caspian.rebuild.RebuildJob} copies exactly those, each under a lock of the
 * {@link io.caspian.rebuild.RangeGate} so that no front-end write to the segment can land on the
 * destination between the copy's read of the source and its write of the destination. The job
 * talks to its owner only through {@link io.caspian.rebuild.RebuildHost}, so this package does not
 * know about nexuses.
 */
package io.caspian.rebuild;
