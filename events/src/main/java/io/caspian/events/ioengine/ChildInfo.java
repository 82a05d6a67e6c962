package io.caspian.events.ioengine;

import io.caspian.events.ChildState;

/** One nexus child as its io-engine sees it; rebuildProgress is a percentage, or -1 when no rebuild runs. */
public record ChildInfo(String uri, ChildState state, String reason, int rebuildProgress) {
}
