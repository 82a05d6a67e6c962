/**
 * The durable half of a nexus's write-intent log: a small file per nexus holding the regions in
 * which its children may differ and the children that are members, written to two alternating
 * checksummed slots so that a torn update leaves the previous one readable.
 *
 * <p>What the regions mean, and when they are set and cleared, is the nexus's business
 * ({@code io.caspian.nexus.IntentGate}); this package only stores and loads them.
 */
package io.caspian.nexus.intent;
