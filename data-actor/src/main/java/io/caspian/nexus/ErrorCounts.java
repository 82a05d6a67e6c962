package io.caspian.nexus;

import io.caspian.bdev.IoType;
import java.util.Map;

/**
 * A child's errors within the current window, per I/O type, at one moment.
 *
 * @param counted errors of the types the policy counts: the figure compared to the threshold
 * @param total errors ever recorded for this child since it was last brought online
 */
public record ErrorCounts(String child, Map<IoType, Integer> inWindow, int counted,
    int threshold, long windowMillis, long total) {}
