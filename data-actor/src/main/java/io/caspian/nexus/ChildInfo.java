package io.caspian.nexus;

/**
 * One child as management sees it.
 *
 * @param rebuilding whether a rebuild job is copying onto this child now
 * @param dirtyBlocks blocks the child still lacks (to be copied before it may serve reads)
 */
public record ChildInfo(String uri, ChildState state, boolean rebuilding, long dirtyBlocks,
    ErrorCounts errors) {}
