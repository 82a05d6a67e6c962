package io.caspian.rebuild;

/**
 * How hard a rebuild may push, so that it does not starve front-end I/O.
 *
 * @param maxTasks segments copied at once, 1 to {@link #MAX_TASKS}
 * @param bytesPerSecond copy bandwidth limit; 0 for none
 * @param yieldToWorkload whether the job steps back while the nexus serves front-end I/O (one
 *     segment at a time, each followed by a pause; see {@link RebuildJob}); without it the job
 *     copies at full speed whatever the workload does
 */
public record RebuildOptions(int maxTasks, long bytesPerSecond, boolean yieldToWorkload) {

  /** As in Mayastor: 16 tasks of one 64 KiB segment, at most 1 MiB in flight. */
  public static final int MAX_TASKS = 16;

  public static final RebuildOptions DEFAULT = new RebuildOptions(MAX_TASKS, 0, true);

  /** Options that yield to the workload. */
  public RebuildOptions(int maxTasks, long bytesPerSecond) {
    this(maxTasks, bytesPerSecond, true);
  }

  public RebuildOptions {
    if (maxTasks < 1 || maxTasks > MAX_TASKS) {
      throw new IllegalArgumentException(
          "rebuild tasks must be between 1 and " + MAX_TASKS + ", not " + maxTasks);
    }
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("rebuild bandwidth must be >= 0, not " + bytesPerSecond);
    }
  }
}
